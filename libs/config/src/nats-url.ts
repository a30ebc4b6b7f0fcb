/**
 * NATS_URL, read by the gateway and the workers alike: one or more `nats://` or `tls://` URLs
 * (a cluster's seeds), comma-separated; credentials in a URL are allowed and never logged.
 */
export const NATS_URL_PATTERN = /^\s*(nats|tls):\/\/[^\s,/]+\/?\s*(,\s*(nats|tls):\/\/[^\s,/]+\/?\s*)*$/;
export const NATS_URL_MESSAGE =
  'NATS_URL must be one or more nats:// or tls:// URLs (host:port), separated by commas';

/** The servers of a valid NATS_URL, as nats.js takes them. */
export function natsServers(raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** A NATS URL for a log line or /health: the credentials, if any, cut out. */
export function describeNatsServers(servers: readonly string[]): string {
  return servers.map((server) => server.replace(/\/\/[^@/]*@/, '//')).join(',');
}
