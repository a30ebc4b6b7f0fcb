import type { FactoryProvider } from '@nestjs/common';
import { AppConfig } from '../../config';
import { RedisResultStore } from './redis-result-store';
import { ResultCache, SharedResultStore } from './result-cache';

export const SHARED_RESULT_STORE = Symbol('SHARED_RESULT_STORE');

/** Redis when REDIS_URL is set and the cache is on; otherwise each process keeps its own. */
export const sharedResultStoreProvider: FactoryProvider<SharedResultStore | null> = {
  provide: SHARED_RESULT_STORE,
  inject: [AppConfig],
  useFactory: (config: AppConfig) =>
    config.redis.url !== undefined && config.resultCache.maxBytes > 0
      ? new RedisResultStore(config.redis.url)
      : null,
};

export const resultCacheProvider: FactoryProvider<ResultCache> = {
  provide: ResultCache,
  inject: [AppConfig, SHARED_RESULT_STORE],
  useFactory: (config: AppConfig, shared: SharedResultStore | null) =>
    new ResultCache(
      { maxBytes: config.resultCache.maxBytes, ttlMs: config.resultCache.ttlMs },
      shared ?? undefined,
    ),
};
