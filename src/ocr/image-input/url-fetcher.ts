import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { LookupFunction } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Logger } from '@nestjs/common';
import { ApiError } from '../../common/errors/api-error';
import { ImageInputErrors } from './image-input.errors';
import { UrlFetchOptions } from './image-input.options';
import { CheckedTarget, HostResolver, ResolvedAddress, systemResolver, UrlGuard } from './url-guard';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Worth trying the next checked address after these: nothing was sent yet. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
]);
const REQUEST_HEADERS = {
  accept: 'image/jpeg, image/png, image/webp, image/tiff, image/gif, application/pdf, */*;q=0.5',
  // A compressed answer would reach the sniffer as gzip, not as an image.
  'accept-encoding': 'identity',
  'user-agent': 'secure-ocr-api (image fetch)',
};

/**
 * Fetches an image URL under the SSRF rules: every hop is checked by `UrlGuard`, the socket goes
 * to an address that was checked (a pinned `lookup`; the host name is kept for SNI, the Host
 * header and the certificate check), redirects are followed by hand, and one deadline covers DNS,
 * every hop and the body, which is cut off as soon as it exceeds the limit.
 *
 * Node's http(s) module rather than axios: axios follows redirects and resolves hosts inside its
 * adapter, and pinning both there means overriding its internals; here each step is in view.
 */
export class UrlFetcher {
  private readonly logger = new Logger(UrlFetcher.name);
  private readonly guard: UrlGuard;
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent = new http.Agent({ keepAlive: false });

  constructor(
    private readonly options: UrlFetchOptions,
    private readonly maxBytes: number,
    resolver: HostResolver = systemResolver,
  ) {
    this.guard = new UrlGuard(options, resolver);
    this.httpsAgent = new https.Agent({ keepAlive: false, ca: trustedCertificates(options.caFile) });
  }

  /**
   * The body of `url`, or the contract's error. When the caller's `signal` aborts, its reason is
   * thrown as it is, so that the caller decides what an abandoned request means.
   */
  async fetch(url: URL, signal?: AbortSignal): Promise<Buffer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    try {
      return await this.follow(url, combined);
    } catch (error) {
      if (signal?.aborted) {
        throw signal.reason;
      }
      throw this.explain(error, deadline.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  private async follow(start: URL, signal: AbortSignal): Promise<Buffer> {
    let url = start;
    for (let redirects = 0; ; redirects += 1) {
      const target = await this.guard.check(url, signal);
      const response = await this.connect(target, signal);
      const status = response.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        response.destroy();
        if (redirects >= this.options.maxRedirects) {
          throw ImageInputErrors.urlNotAllowed(`it redirects more than ${this.options.maxRedirects} times`);
        }
        url = nextHop(response.headers.location, url);
        continue;
      }
      if (status < 200 || status > 299) {
        response.destroy();
        throw ImageInputErrors.fetchFailed(`the server answered with HTTP status ${status}`);
      }
      return this.readBody(response);
    }
  }

  /** Tries the checked addresses in order, as a browser would, moving on only if nothing was sent. */
  private async connect(target: CheckedTarget, signal: AbortSignal): Promise<http.IncomingMessage> {
    let lastError: unknown;
    for (const address of target.addresses) {
      try {
        return await this.request(target.url, address, signal);
      } catch (error) {
        if (signal.aborted || !CONNECT_ERRORS.has(errorCode(error) ?? '')) {
          throw error;
        }
        lastError = error;
      }
    }
    throw lastError;
  }

  private request(url: URL, address: ResolvedAddress, signal: AbortSignal): Promise<http.IncomingMessage> {
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      agent: secure ? this.httpsAgent : this.httpAgent,
      lookup: pinnedLookup(address),
      headers: REQUEST_HEADERS,
      signal,
    };
    return new Promise((resolve, reject) => {
      const request = secure ? https.request(url, options, resolve) : http.request(url, options, resolve);
      request.once('error', reject);
      request.end();
    });
  }

  private async readBody(response: http.IncomingMessage): Promise<Buffer> {
    if (Number(response.headers['content-length']) > this.maxBytes) {
      response.destroy();
      throw this.tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > this.maxBytes) {
        response.destroy();
        throw this.tooLarge();
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  }

  /** CONTRACT.md lists only 422s for URL images, the streamed body limit included. */
  private tooLarge(): ApiError {
    return ImageInputErrors.fetchFailed(`the image is larger than the ${this.maxBytes}-byte limit`);
  }

  private explain(error: unknown, timedOut: boolean): ApiError {
    if (error instanceof ApiError) {
      return error;
    }
    if (timedOut) {
      return ImageInputErrors.fetchFailed(`it took longer than ${this.options.timeoutMs} ms`);
    }
    const code = errorCode(error) ?? 'unknown';
    // The code, never the message: Node's messages quote the address it tried.
    this.logger.warn(`Image URL fetch failed (${code})`);
    if (/CERT|SSL|TLS|EPROTO/.test(code)) {
      return ImageInputErrors.fetchFailed('a secure connection to the host could not be established');
    }
    if (code.startsWith('HPE_')) {
      return ImageInputErrors.fetchFailed('the server did not answer with valid HTTP');
    }
    return ImageInputErrors.fetchFailed('the connection to the host failed');
  }
}

function nextHop(location: string | undefined, current: URL): URL {
  if (location === undefined || location === '') {
    throw ImageInputErrors.fetchFailed('the server redirected without a Location');
  }
  try {
    return new URL(location, current);
  } catch {
    throw ImageInputErrors.fetchFailed('the server redirected to an invalid URL');
  }
}

/** Hands the connection the address the guard checked, whatever the host name resolves to now. */
export function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      callback(null, [{ address: pinned.address, family: pinned.family }]);
    } else {
      callback(null, pinned.address, pinned.family);
    }
  };
}

/** The system roots plus the operator's extra CA: verification stays on, the trust grows by one file. */
function trustedCertificates(caFile: string | undefined): string[] | undefined {
  if (caFile === undefined || caFile === '') {
    return undefined;
  }
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch {
    throw new Error('URL_CA_FILE cannot be read');
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new Error('URL_CA_FILE does not hold a PEM certificate');
  }
  return [...rootCertificates, pem];
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
