import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisResultStore } from '../../src/ocr/cache/redis-result-store';
import { ResultCache } from '../../src/ocr/cache/result-cache';
import { workerResult } from '../../src/ocr/testing/ocr-fakes';

jest.setTimeout(30_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const result = workerResult({ model: 'PP-OCRv4 store test' });

/** The Redis second level of the results cache against a real Redis server, and without one. */
describe(RedisResultStore.name, () => {
  const stores: RedisResultStore[] = [];
  const written: string[] = [];
  let redis: Redis;

  async function store(url = REDIS_URL): Promise<RedisResultStore> {
    const created = new RedisResultStore(url);
    stores.push(created);
    await created.onModuleInit();
    return created;
  }

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.onApplicationShutdown()));
    if (written.length > 0) {
      await redis.del(...written);
    }
    await redis.quit();
    jest.restoreAllMocks();
  });

  it('should keep a value with the given expiry', async () => {
    const s = await store();
    const key = `test:ocr-store:${randomBytes(6).toString('hex')}`;
    written.push(key);
    await s.set(key, 'value', 5000);
    await expect(s.get(key)).resolves.toBe('value');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
    await expect(s.get(`${key}:absent`)).resolves.toBeNull();
  });

  it('should let another gateway’s cache (another connection) hit what the first one stored', async () => {
    const [a, b] = [await store(), await store()];
    const first = new ResultCache({ maxBytes: 1024 * 1024, ttlMs: 10_000 }, a);
    const second = new ResultCache({ maxBytes: 1024 * 1024, ttlMs: 10_000 }, b);
    const lineage = `lin_${randomBytes(6).toString('hex')}`;
    const sha = randomBytes(32).toString('hex');
    const before = new Set(await redis.keys('ocr:result:*'));
    await first.set(lineage, sha, 'text', result);
    written.push(...(await redis.keys('ocr:result:*')).filter((k) => !before.has(k)));
    await expect(second.get(lineage, sha, 'text', result.model)).resolves.toEqual(result);
    await expect(second.get('another lineage', sha, 'text', result.model)).resolves.toBeUndefined();
    await expect(second.get(lineage, sha, 'markdown', result.model)).resolves.toBeUndefined();
  });

  it('should answer misses at once and swallow writes while Redis is unreachable', async () => {
    const s = await store('redis://127.0.0.1:1');
    const started = Date.now();
    await expect(s.get('anything')).resolves.toBeNull();
    await expect(s.set('anything', 'value', 1000)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    const cache = new ResultCache({ maxBytes: 1024 * 1024, ttlMs: 10_000 }, s);
    await cache.set('lin', 'sha', 'text', result);
    await expect(cache.get('lin', 'sha', 'text', result.model)).resolves.toEqual(result);
  });
});
