import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { createFailFastRedis } from '../../common/redis/fail-fast-redis';
import type { SharedResultStore } from './result-cache';

/** A cache that answers slower than this is worse than a miss. */
const COMMAND_TIMEOUT_MS = 300;

/**
 * The results cache shared by gateway processes through Redis (when REDIS_URL is set). Every
 * failure is a miss or a skipped write, never a failed request: commands fail at once while Redis
 * is down (no offline queue) and ioredis reconnects in the background.
 */
export class RedisResultStore implements SharedResultStore, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisResultStore.name);
  private readonly redis: Redis;
  private reachable = true;

  constructor(url: string) {
    this.redis = createFailFastRedis(url, COMMAND_TIMEOUT_MS);
    // Without a listener ioredis prints every reconnect failure; one line per state change instead.
    this.redis.on('error', () => this.unreachable());
    this.redis.on('ready', () => {
      if (!this.reachable) {
        this.reachable = true;
        this.logger.log('Redis is reachable again: the results cache is shared.');
      }
    });
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.redis.connect();
    } catch {
      this.unreachable();
    }
  }

  async get(key: string): Promise<string | null> {
    try {
      return await this.redis.get(key);
    } catch {
      return null;
    }
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(key, value, 'PX', ttlMs);
    } catch {
      // A result that is not shared is computed again by another process, nothing worse.
    }
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private unreachable(): void {
    if (this.reachable) {
      this.reachable = false;
      this.logger.warn('Redis is unreachable: the results cache is per process until it returns.');
    }
  }
}
