import { randomBytes } from 'node:crypto';
import { hash } from 'bcrypt';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { generateApiKey } from '../support/app-code';
import { createTestDatabase } from '../support/database';
import { built } from '../support/paths';
import { startGateway, stopAll, type GatewayProcess } from '../support/processes';

// Real processes and databases: jest's per-project testTimeout is not applied, so set it here.
jest.setTimeout(120_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Every run writes under its own prefix, so that runs (and developers) sharing a Redis never meet.
const prefix = `test:rl:${randomBytes(6).toString('hex')}:`;

// Three gateways start at once; on a busy 2-core machine one start can take well over 30 s.
const START_TIMEOUT_MS = 90_000;

interface Key {
  id: string;
  plaintext: string;
}

/** Per-key limits, headers and the per-address limit on real compiled gateways (Redis-backed). */
describe('rate limits on the real gateway', () => {
  // Slow tiers, so that a loaded machine cannot refill a token between two requests of a test.
  const tiers = JSON.stringify({
    free: { rps: 0.2, burst: 3 },
    pro: { rps: 1, burst: 1 },
    shared: { rps: 0.1, burst: 4, daily: 100 },
  });
  const gatewayPrefix = `${prefix}gw:`;
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let first: GatewayProcess;
  let second: GatewayProcess;
  let addressLimited: GatewayProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({ type: 'postgres', url: db.url, migrations: [built('migrations', '*.js')] });
    await dataSource.initialize();
    await dataSource.runMigrations();
    const shared = {
      TIERS: tiers,
      METRICS_ENABLED: 'false',
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: gatewayPrefix,
      IP_RATE_LIMIT_RPS: '0',
    };
    [first, second, addressLimited] = await Promise.all([
      startGateway({ databaseUrl: db.url, env: shared, timeoutMs: START_TIMEOUT_MS }),
      startGateway({ databaseUrl: db.url, env: shared, timeoutMs: START_TIMEOUT_MS }),
      startGateway({
        databaseUrl: db.url,
        env: { TIERS: tiers, METRICS_ENABLED: 'false', IP_RATE_LIMIT_RPS: '0.1', IP_RATE_LIMIT_BURST: '3' },
        timeoutMs: START_TIMEOUT_MS,
      }),
    ]);
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  async function createKey(tier: string): Promise<Key> {
    const { id, plaintext } = generateApiKey();
    await dataSource.query(
      `INSERT INTO api_keys (id, lineage_id, name, tier, scopes, key_hash) VALUES ($1, $1, $2, $3, '{ocr}', $4)`,
      [id, `rate test ${id}`, tier, await hash(plaintext, 4)],
    );
    return { id, plaintext };
  }

  const usage = (gateway: GatewayProcess, key: Key | string): Promise<Response> =>
    fetch(`${gateway.url}/api/v1/usage`, {
      headers: { 'X-API-Key': typeof key === 'string' ? key : key.plaintext },
    });

  it('should count down the burst in the headers, then answer 429 rate_limited with Retry-After', async () => {
    const key = await createKey('free');
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const response = await usage(first, key);
      expect(response.status).toBe(200);
      remaining.push(response.headers.get('ratelimit'));
    }
    expect(remaining.map((r) => /"rate";r=(\d+)/.exec(r ?? '')?.[1])).toEqual(['2', '1', '0']);

    const refused = await usage(first, key);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.requestId).toMatch(/^req_/);
    expect(body.error.message).not.toContain(key.id);
    const retryAfter = refused.headers.get('retry-after') ?? '';
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(5);
    expect(refused.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=15, "daily";q=100;w=86400');
    expect(refused.headers.get('ratelimit')).toMatch(
      new RegExp(`^"rate";r=0;t=${retryAfter}, "daily";r=100;t=\\d+$`),
    );
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset')).toBe(retryAfter);
  });

  it('should admit the key again once Retry-After has passed', async () => {
    const key = await createKey('pro');
    expect((await usage(first, key)).status).toBe(200);
    const refused = await usage(first, key);
    expect(refused.status).toBe(429);
    await new Promise((r) => setTimeout(r, Number(refused.headers.get('retry-after')) * 1000));
    expect((await usage(first, key)).status).toBe(200);
  });

  it('should track the key, not the client address: another key from the same address is not limited', async () => {
    const [spent, other] = [await createKey('free'), await createKey('free')];
    for (let i = 0; i < 4; i++) {
      await usage(first, spent);
    }
    expect((await usage(first, spent)).status).toBe(429);
    expect((await usage(first, other)).status).toBe(200);
  });

  it('should share one bucket per key across two gateway processes through Redis', async () => {
    const key = await createKey('shared');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await usage(i % 2 === 0 ? first : second, key)).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.slice(4)).toEqual([429, 429, 429, 429]);
    // The bucket lives in Redis under the configured prefix, keyed by the key's lineage (its id here).
    const redis = new Redis(REDIS_URL);
    const ttl = await redis.pttl(`${gatewayPrefix}rate:${key.id}`);
    await redis.quit();
    expect(ttl).toBeGreaterThan(0);
  });

  it('should share one bucket between a key and its rotated successor', async () => {
    const key = await createKey('free');
    const successor = generateApiKey();
    await dataSource.query(
      `INSERT INTO api_keys (id, lineage_id, name, tier, scopes, key_hash, rotated_from)
       VALUES ($1, $2, 'successor', 'free', '{ocr}', $3, $2)`,
      [successor.id, key.id, await hash(successor.plaintext, 4)],
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await usage(first, i % 2 === 0 ? key : successor.plaintext)).status);
    }
    // Tier free here: burst 3 for the pair, not 3 each.
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('should limit each client address in front of authentication, on every path', async () => {
    // The start-up probe spent a token already: count up to the first refusal.
    const statuses: number[] = [];
    while (statuses.length < 6 && statuses.at(-1) !== 429) {
      statuses.push((await usage(addressLimited, `ocr_${'a'.repeat(12)}_${'b'.repeat(43)}`)).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
    const refused = await usage(addressLimited, await createKey('pro'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await expect(refused.json()).resolves.toMatchObject({ error: { code: 'rate_limited' } });
    expect((await fetch(`${addressLimited.url}/health`)).status).toBe(429);
    expect((await fetch(`${addressLimited.url}/nonexistent`, { method: 'POST', body: '{}' })).status).toBe(429);
  });
});
