import Redis from 'ioredis';

const CONNECT_TIMEOUT_MS = 2000;

/**
 * A Redis client for optional, best-effort state (shared rate buckets, shared result cache):
 * while Redis is down every command fails at once instead of queueing (no offline queue, one
 * retry), so the caller can fall back; ioredis keeps reconnecting in the background.
 * Connects when the owner calls `connect()`.
 */
export function createFailFastRedis(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    disconnectTimeout: commandTimeoutMs,
  });
}
