import * as ipaddr from 'ipaddr.js';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A key's restrictions: the browser origins and the client networks it may be used from, and an
 * optional rate of its own. The rules of what a valid origin or network is live here, once: the
 * admin DTOs validate with them, the service stores their normal form, the guard matches it.
 */

export const MAX_ALLOWED_ORIGINS = 32;
export const MAX_ALLOWED_CIDRS = 32;
export const MAX_ORIGIN_LENGTH = 200;
export const MAX_CIDR_LENGTH = 64;
export const MAX_RATE_REQUESTS = 1_000_000;
export const MAX_RATE_WINDOW_SECONDS = 3600;
/** A rate override given without a window counts requests per minute. */
export const DEFAULT_RATE_WINDOW_SECONDS = 60;

/** A key's own rate: `requests` in any `windowSeconds`, as a bucket that refills evenly. */
export interface RateOverride {
  requests: number;
  windowSeconds: number;
}

// scheme://host[:port]: a DNS name, an IPv4 address or a bracketed IPv6 address; no path, no slash.
const ORIGIN =
  /^([a-z][a-z0-9+.-]*):\/\/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * An origin as browsers serialise it in the `Origin` header (RFC 6454): scheme and host in lower
 * case, the scheme's default port left out. Null when `value` is not `scheme://host[:port]`.
 * Schemes other than http(s) are kept, for app shells such as `capacitor://localhost`.
 */
export function normalizeOrigin(value: string): string | null {
  if (value.length > MAX_ORIGIN_LENGTH) {
    return null;
  }
  const match = ORIGIN.exec(value);
  if (match === null) {
    return null;
  }
  const [, rawScheme, rawHost, port] = match;
  const scheme = rawScheme.toLowerCase();
  let host = rawHost.toLowerCase();
  if (host.startsWith('[')) {
    const inner = host.slice(1, -1);
    if (!ipaddr.IPv6.isValid(inner)) {
      return null;
    }
    host = `[${ipaddr.IPv6.parse(inner).toString()}]`;
  }
  if (port === undefined || DEFAULT_PORTS[scheme] === String(Number(port))) {
    return `${scheme}://${host}`;
  }
  const number = Number(port);
  return number >= 1 && number <= 65535 ? `${scheme}://${host}:${number}` : null;
}

/**
 * A network as `address/prefix` with the host bits cleared (`10.1.2.3/8` → `10.0.0.0/8`), IPv6
 * in its compact form; a bare address is its own /32 or /128. Null when `value` is neither.
 */
export function normalizeCidr(value: string): string | null {
  if (value.length > MAX_CIDR_LENGTH) {
    return null;
  }
  const [text, prefixText, ...rest] = value.split('/');
  // Four decimal parts only: ipaddr.js also reads `0x7f.1` and `127.1`, which nobody means in a list.
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(text);
  if (rest.length > 0 || (!v4 && !(ipaddr.IPv6.isValid(text) && !text.includes('%')))) {
    return null;
  }
  const bits = v4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
    return null;
  }
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) {
    return null;
  }
  const network = v4
    ? ipaddr.IPv4.networkAddressFromCIDR(`${text}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${text}/${prefix}`);
  return `${network.toString()}/${prefix}`;
}

export type ParsedCidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Networks already normalised (from the database) in the form `matchesCidrs` takes. */
export function parseCidrs(cidrs: readonly string[]): ParsedCidr[] {
  return cidrs.flatMap((cidr) => {
    try {
      return [ipaddr.parseCIDR(cidr)];
    } catch {
      // Every stored network was normalised on the way in; a row edited by hand by mistake
      // matches nothing rather than everything.
      return [];
    }
  });
}

/**
 * Whether a client address (`req.ip`) lies in one of `cidrs`. An IPv4 client reached over an
 * IPv6 socket (`::ffff:203.0.113.7`) is matched as the IPv4 address it is.
 */
export function matchesCidrs(address: string | undefined, cidrs: readonly ParsedCidr[]): boolean {
  if (address === undefined || !ipaddr.isValid(address)) {
    return false;
  }
  const client = ipaddr.process(address);
  return cidrs.some(([network, prefix]) => client.kind() === network.kind() && client.match(network, prefix));
}

/** `@IsOrigin({ each: true })`: see normalizeOrigin. */
export function IsOrigin(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isOrigin',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && normalizeOrigin(value) !== null,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must hold origins such as https://app.example.com (scheme://host[:port], no path)`,
      },
    },
    options,
  );
}

/** `@IsCidr({ each: true })`: see normalizeCidr. */
export function IsCidr(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && normalizeCidr(value) !== null,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must hold IPv4 or IPv6 networks such as 203.0.113.0/24 or 2001:db8::/32`,
      },
    },
    options,
  );
}

/** Lists as stored: normalised, duplicates (after normalisation) dropped, in the order given. */
export function normalizeOrigins(values: readonly string[]): string[] {
  return [...new Set(values.map((value) => normalizeOrigin(value) as string))];
}

export function normalizeCidrs(values: readonly string[]): string[] {
  return [...new Set(values.map((value) => normalizeCidr(value) as string))];
}
