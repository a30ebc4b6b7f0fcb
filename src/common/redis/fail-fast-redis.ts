import Redis from 'ioredis';

const CONNECT_TIMEOUT_MS = 2000;

/**
 * A Redis client for optional, best-effort state (shared rate buckets, shared result cache):
 * while Redis is down every command fails at once instead of queueing (no offline queue, one
 * retry), so the caller can fall back; ioredis keeps reconnecting in the background.
 * Connects when the owner calls `connect()`.
 *
 * Commands issued in the same event-loop turn go out as one pipeline (one write and one read for
 * all of them, instead of a syscall pair each): under load many requests ask at once, and every
 * command still gets its own reply, error and timeout.
 */
export function createFailFastRedis(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    disconnectTimeout: commandTimeoutMs,
    enableAutoPipelining: true,
  });
}
