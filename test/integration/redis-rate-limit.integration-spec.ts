import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisGcraStorage } from '../../src/rate-limit/redis-gcra.storage';

jest.setTimeout(120_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Every run writes under its own prefix, so that runs (and developers) sharing a Redis never meet.
const prefix = `test:rl:${randomBytes(6).toString('hex')}:`;

describe('rate limits shared through Redis', () => {
  const storages: RedisGcraStorage[] = [];

  async function storage(url = REDIS_URL): Promise<RedisGcraStorage> {
    const created = new RedisGcraStorage(url, prefix);
    storages.push(created);
    await created.onModuleInit();
    return created;
  }

  afterAll(async () => {
    await Promise.all(storages.map((s) => s.onApplicationShutdown()));
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    await redis.quit();
  });

  it('should admit one burst in total across two connections hammering the same bucket', async () => {
    const [a, b] = [await storage(), await storage()];
    const hits = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).increment('rate:k1', 2500, 5, 2500, 'rate')),
    );
    expect(hits.filter((h) => !h.isBlocked)).toHaveLength(5);
    const refused = hits.filter((h) => h.isBlocked);
    expect(refused.every((h) => h.timeToBlockExpire === 1 && h.totalHits === 5)).toBe(true);
  });

  it('should keep the state in Redis with an expiry no longer than the refill time', async () => {
    const s = await storage();
    await s.increment('rate:k2', 2500, 5, 2500, 'rate');
    const redis = new Redis(REDIS_URL);
    const ttl = await redis.pttl(`${prefix}rate:rate:k2`);
    await redis.quit();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(500);
  });

  it('should refill at the tier rate', async () => {
    const s = await storage();
    // 2 r/s, burst 2: spent at once, one token back every 500 ms.
    const first = await Promise.all([0, 1, 2].map(() => s.increment('rate:k3', 1000, 2, 1000, 'rate')));
    expect(first.map((h) => h.isBlocked)).toEqual([false, false, true]);
    await new Promise((r) => setTimeout(r, 600));
    await expect(s.increment('rate:k3', 1000, 2, 1000, 'rate')).resolves.toMatchObject({ isBlocked: false });
    await expect(s.increment('rate:k3', 1000, 2, 1000, 'rate')).resolves.toMatchObject({ isBlocked: true });
  });

  it('should fall back to per-process buckets at once when Redis cannot be reached', async () => {
    const s = await storage('redis://127.0.0.1:1');
    const started = Date.now();
    const hits = await Promise.all(
      Array.from({ length: 6 }, () => s.increment('rate:k4', 2500, 5, 2500, 'rate')),
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(hits.map((h) => h.isBlocked)).toEqual([false, false, false, false, false, true]);
  });
});
