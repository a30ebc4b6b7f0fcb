import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_IMAGE_PIXELS } from '@app/config';

/** Injection token of the intake's validated `ImageInputOptions`. */
export const IMAGE_INPUT_OPTIONS = Symbol('IMAGE_INPUT_OPTIONS');
/** Optional token replacing the system resolver (getaddrinfo) with a `HostResolver`, for tests. */
export const HOST_RESOLVER = Symbol('HOST_RESOLVER');

export interface UrlFetchOptions {
  /** URL_ALLOW_HTTP: also fetch `http:` URLs (default false: `https:` only). */
  readonly allowHttp: boolean;
  /**
   * URL_ALLOWED_HOSTS: host names (or IP literals) trusted by the operator, fetched even when
   * they resolve to a private or loopback address, on any port. For tests and development.
   */
  readonly allowedHosts: readonly string[];
  /** URL_ALLOWED_PORTS: ports other than the scheme's default that any host may use. */
  readonly allowedPorts: readonly number[];
  /** URL_FETCH_TIMEOUT_MS: the whole fetch (DNS, every hop, the body) must finish within it. */
  readonly timeoutMs: number;
  /** URL_MAX_REDIRECTS: hops followed, each checked like the first. */
  readonly maxRedirects: number;
  /** URL_CA_FILE: PEM certificates trusted in addition to the system roots. */
  readonly caFile?: string;
}

export interface ImageInputOptions {
  /** MAX_BODY_BYTES: the most decoded image bytes, however they arrive. */
  readonly maxBodyBytes: number;
  /** MAX_IMAGE_PIXELS: width × height from the header, checked before any decode. */
  readonly maxImagePixels: number;
  readonly url: UrlFetchOptions;
}

/** What a caller may leave out; `imageInputOptions` fills in the contract's defaults. */
export interface ImageInputOptionsInput {
  readonly maxBodyBytes?: number;
  readonly maxImagePixels?: number;
  readonly url?: Partial<UrlFetchOptions>;
}

export const DEFAULT_IMAGE_INPUT_OPTIONS: ImageInputOptions = {
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
  url: { allowHttp: false, allowedHosts: [], allowedPorts: [], timeoutMs: 10_000, maxRedirects: 3 },
};

/**
 * Fills in defaults and rejects nonsense at boot, so a bad setting never surfaces as an odd
 * answer to a client. Allow-listed hosts are normalised the way the URL parser normalises a
 * request's host (`0x7f.1` becomes `127.0.0.1`, `[::1]` becomes `::1`), so both compare equal.
 */
export function imageInputOptions(input: ImageInputOptionsInput = {}): ImageInputOptions {
  const defaults = DEFAULT_IMAGE_INPUT_OPTIONS;
  const url = { ...defaults.url, ...input.url };
  const options: ImageInputOptions = {
    maxBodyBytes: input.maxBodyBytes ?? defaults.maxBodyBytes,
    maxImagePixels: input.maxImagePixels ?? defaults.maxImagePixels,
    url: { ...url, allowedHosts: url.allowedHosts.map(normaliseAllowedHost) },
  };
  requireInteger('MAX_BODY_BYTES', options.maxBodyBytes, 1);
  requireInteger('MAX_IMAGE_PIXELS', options.maxImagePixels, 1);
  requireInteger('URL_FETCH_TIMEOUT_MS', options.url.timeoutMs, 1);
  requireInteger('URL_MAX_REDIRECTS', options.url.maxRedirects, 0, 20);
  options.url.allowedPorts.forEach((port) => requireInteger('URL_ALLOWED_PORTS', port, 1, 65535));
  return options;
}

/** The form in which a host is compared with the allow-list: no brackets, no trailing dot. */
export function comparableHost(hostname: string): string {
  return hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

function normaliseAllowedHost(entry: string): string {
  const trimmed = entry.trim();
  const literal = trimmed.includes(':') && !trimmed.startsWith('[') ? `[${trimmed}]` : trimmed;
  let parsed: URL;
  try {
    parsed = new URL(`https://${literal}/`);
  } catch {
    throw new Error('URL_ALLOWED_HOSTS holds an entry that is not a host name');
  }
  const bare = parsed.host === parsed.hostname && parsed.pathname === '/';
  if (
    !bare ||
    parsed.username !== '' ||
    parsed.password !== '' ||
    parsed.search !== '' ||
    parsed.hash !== ''
  ) {
    throw new Error('URL_ALLOWED_HOSTS entries are host names without a port, path or credentials');
  }
  return comparableHost(parsed.hostname);
}

function requireInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}`);
  }
}
