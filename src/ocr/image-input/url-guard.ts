import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Logger } from '@nestjs/common';
import { classifyAddress } from './address-policy';
import { comparableHost, UrlFetchOptions } from './image-input.options';
import { ImageInputErrors } from './image-input.errors';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Every address a host name resolves to (getaddrinfo: /etc/hosts, then DNS). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** A URL that passed every check, with the addresses that were checked: connect only to these. */
export interface CheckedTarget {
  readonly url: URL;
  readonly addresses: readonly ResolvedAddress[];
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'https:': 443, 'http:': 80 };

/**
 * The SSRF gate for one hop: scheme, credentials, port, then the resolved addresses. A host
 * name is resolved here, once, and the fetcher connects to what was checked, so a DNS answer
 * that changes between check and connect (rebinding) cannot slip past.
 */
export class UrlGuard {
  private readonly logger = new Logger(UrlGuard.name);
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly allowedPorts: ReadonlySet<number>;

  constructor(
    private readonly options: UrlFetchOptions,
    private readonly resolve: HostResolver = systemResolver,
  ) {
    this.allowedHosts = new Set(options.allowedHosts);
    this.allowedPorts = new Set(options.allowedPorts);
  }

  async check(url: URL, signal: AbortSignal): Promise<CheckedTarget> {
    const schemes = this.options.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(url.protocol)) {
      throw ImageInputErrors.urlNotAllowed(this.options.allowHttp ? 'use https or http' : 'use https');
    }
    if (url.username !== '' || url.password !== '') {
      throw ImageInputErrors.urlNotAllowed('it must not contain credentials');
    }
    const host = comparableHost(url.hostname);
    const trusted = this.allowedHosts.has(host);
    const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
    if (!trusted && port !== DEFAULT_PORTS[url.protocol] && !this.allowedPorts.has(port)) {
      throw ImageInputErrors.urlNotAllowed('it must use the default port');
    }
    const addresses = await this.addressesOf(host, signal);
    // Refused if any answer is bad: an attacker's DNS may mix a public and a private address.
    const refused = trusted
      ? undefined
      : addresses.map(({ address }) => classifyAddress(address)).find((v) => !v.allowed);
    if (refused && !refused.allowed) {
      // The range, not the address: logs must not become a map of the internal network either.
      this.logger.warn(
        `Refused an image URL: its host resolves to a blocked address (range: ${refused.range})`,
      );
      throw ImageInputErrors.urlNotAllowed("the URL's host resolves to an address that is not allowed");
    }
    return { url, addresses };
  }

  private async addressesOf(host: string, signal: AbortSignal): Promise<ResolvedAddress[]> {
    const family = isIP(host);
    if (family !== 0) {
      // The URL parser has already normalised every IPv4 spelling to dotted decimal.
      return [{ address: host, family: family === 6 ? 6 : 4 }];
    }
    let found: ResolvedAddress[];
    try {
      found = await abortable(this.resolve(host), signal);
    } catch (error) {
      if (signal.aborted) {
        throw error;
      }
      throw ImageInputErrors.fetchFailed("the URL's host name could not be resolved");
    }
    if (found.length === 0) {
      throw ImageInputErrors.fetchFailed("the URL's host name could not be resolved");
    }
    return found;
  }
}

/** getaddrinfo cannot be cancelled; stop waiting for it when the fetch's time is up. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
