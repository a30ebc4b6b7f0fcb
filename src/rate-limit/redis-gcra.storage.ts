import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { createFailFastRedis } from '../common/redis/fail-fast-redis';
import { gcraDecision, ThrottlerStorageRecord, toThrottlerRecord } from './gcra';
import { MemoryGcraStorage } from './memory-gcra.storage';

/**
 * gcraStep (gcra.ts) as one atomic Redis script, on Redis's own clock so that gateway processes
 * with drifting clocks share one bucket consistently. Answers {admitted, tat, now} in milliseconds
 * (strings: a Lua number would be truncated to an integer reply).
 */
const GCRA_SCRIPT = `
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
local nextTat = tat + interval
if now + 0.000001 < nextTat - period then
  return {0, string.format('%.3f', tat), string.format('%.3f', now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
return {1, string.format('%.3f', nextTat), string.format('%.3f', now)}
`;

type GcraRedis = Redis & {
  gcra(key: string, intervalMs: string, periodMs: string): Promise<[number, string, string]>;
};

const COMMAND_TIMEOUT_MS = 500;

/**
 * Token buckets shared by every gateway process through Redis. While Redis is unreachable each
 * process falls back to its own buckets (a per-process limit is better than refusing all traffic
 * or hanging on a dead socket); the daily quota, which is billing, lives in Postgres and is not
 * affected.
 */
export class RedisGcraStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisGcraStorage.name);
  private readonly redis: GcraRedis;
  private degraded = false;

  constructor(
    url: string,
    private readonly keyPrefix: string,
    private readonly fallback: MemoryGcraStorage = new MemoryGcraStorage(),
  ) {
    this.redis = createFailFastRedis(url, COMMAND_TIMEOUT_MS) as GcraRedis;
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
    // Without a listener ioredis prints every reconnect failure; the state change is logged below.
    this.redis.on('error', () => this.degrade());
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.redis.connect();
    } catch {
      this.degrade();
    }
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const [admitted, tat, now] = await this.redis.gcra(
        `${this.keyPrefix}${throttlerName}:${key}`,
        String(ttl / limit),
        String(ttl),
      );
      this.recover();
      return toThrottlerRecord(gcraDecision(admitted === 1, Number(tat), Number(now), limit, ttl), limit);
    } catch {
      this.degrade();
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.fallback.onApplicationShutdown();
    this.redis.removeAllListeners('error');
    this.redis.on('error', () => undefined);
    if (this.redis.status !== 'ready') {
      // Not connected (or reconnecting): stop the retries instead of queueing a QUIT.
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private degrade(): void {
    if (!this.degraded) {
      this.degraded = true;
      this.logger.warn('Redis is unreachable: rate limits are per process until it answers again');
    }
  }

  private recover(): void {
    if (this.degraded) {
      this.degraded = false;
      this.logger.log('Redis answers again: rate limits are shared across processes');
    }
  }
}
