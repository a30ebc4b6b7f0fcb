import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { AppConfig } from '../config';
import { authenticatedKey } from './key-throttler.guard';
import { MemoryGcraStorage } from './memory-gcra.storage';
import { RedisGcraStorage } from './redis-gcra.storage';
import { RATE_POLICY } from './request-limits';
import { keyThrottle, Throttle } from './tier-throttle';

/**
 * One throttler, `rate`, whose limit and window come from the calling key (its own rate, else its
 * tier's), over GCRA
 * buckets: in Redis when REDIS_URL is set (shared by every gateway process), in memory otherwise.
 */
export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const throttleOf = (context: ExecutionContext): Throttle =>
    keyThrottle(config.tiers, authenticatedKey(context));
  return {
    throttlers: [
      {
        name: RATE_POLICY,
        limit: (context) => throttleOf(context).limit,
        ttl: (context) => throttleOf(context).ttl,
      },
    ],
    storage: config.redis.url
      ? new RedisGcraStorage(config.redis.url, config.rateLimit.redisPrefix)
      : new MemoryGcraStorage(),
    setHeaders: false,
  };
}
