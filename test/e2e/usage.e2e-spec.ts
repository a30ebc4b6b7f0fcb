import { hash } from 'bcrypt';
import { DataSource } from 'typeorm';
import { generateApiKey } from '../support/app-code';
import { createTestDatabase } from '../support/database';
import { built } from '../support/paths';
import { startGateway, stopAll, type GatewayProcess } from '../support/processes';

// Real processes and databases: jest's per-project testTimeout is not applied, so set it here.
jest.setTimeout(120_000);

/** `GET /api/v1/usage` on the real compiled gateway against real Postgres. */
describe('GET /api/v1/usage (real gateway, real Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({ type: 'postgres', url: db.url, migrations: [built('migrations', '*.js')] });
    await dataSource.initialize();
    await dataSource.runMigrations();
    gateway = await startGateway({
      databaseUrl: db.url,
      env: { IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false' },
      // A busy 2-core machine can take well over the default 30 s to start a gateway.
      timeoutMs: 90_000,
    });
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  interface Key {
    id: string;
    plaintext: string;
  }

  /** Inserts a key row as the admin API would; `lineageId` makes it a rotated successor. */
  async function createKey(
    options: { tier?: string; scopes?: string[]; dailyLimit?: number; lineageId?: string } = {},
  ): Promise<Key> {
    const { id, plaintext } = generateApiKey();
    await dataSource.query(
      `INSERT INTO api_keys (id, lineage_id, name, tier, scopes, key_hash, daily_limit) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        id,
        options.lineageId ?? id,
        `usage test ${id}`,
        options.tier ?? 'pro',
        options.scopes ?? ['ocr'],
        await hash(plaintext, 4),
        options.dailyLimit ?? null,
      ],
    );
    return { id, plaintext };
  }

  async function today(): Promise<string> {
    const rows = await dataSource.query<Array<{ day: string }>>(
      `SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day`,
    );
    return rows[0].day;
  }

  async function recordUsage(lineageId: string, daysAgo: number, used: number): Promise<void> {
    await dataSource.query(
      `INSERT INTO daily_usage (lineage_id, day, used) VALUES ($1, (now() AT TIME ZONE 'UTC')::date - $2::int, $3)
       ON CONFLICT (lineage_id, day) DO UPDATE SET used = EXCLUDED.used`,
      [lineageId, daysAgo, used],
    );
  }

  const get = (key: Key | undefined, query = ''): Promise<Response> =>
    fetch(`${gateway.url}/api/v1/usage${query}`, { headers: key ? { 'X-API-Key': key.plaintext } : {} });

  it("should answer today's usage, quota, reset and rate policy of the calling key", async () => {
    const key = await createKey({ tier: 'free' });
    const response = await get(key);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    const period = await today();
    const reset = new Date(Date.parse(`${period}T00:00:00Z`) + 86_400_000).toISOString();
    expect(body).toEqual({
      key: { id: key.id, name: `usage test ${key.id}`, tier: 'free' },
      period,
      used: 0,
      limit: 100,
      remaining: 100,
      resetsAt: reset,
      rateLimit: { rps: 2, burst: 5 },
    });
  });

  it('should carry both IETF rate-limit fields and the X-RateLimit trio', async () => {
    const key = await createKey({ tier: 'free' });
    await recordUsage(key.id, 0, 98);
    const response = await get(key);
    expect(response.headers.get('ratelimit-policy')).toBe('"rate";q=5;w=3, "daily";q=100;w=86400');
    const [, rateLeft, rateReset, dailyLeft, dailyReset] =
      /^"rate";r=(\d+);t=(\d+), "daily";r=(\d+);t=(\d+)$/.exec(response.headers.get('ratelimit') ?? '') ?? [];
    expect(Number(rateLeft)).toBe(4);
    expect(Number(rateReset)).toBeGreaterThanOrEqual(0);
    expect(Number(dailyLeft)).toBe(2);
    expect(Number(dailyReset)).toBeGreaterThanOrEqual(1);
    expect(Number(dailyReset)).toBeLessThanOrEqual(86_400);
    // 2 left of the daily quota is tighter than 4 left of the burst.
    expect(response.headers.get('x-ratelimit-limit')).toBe('100');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(response.headers.get('x-ratelimit-reset')).toBe(dailyReset);
  });

  it("should count a lineage's usage for every key of it and apply a key's own daily limit", async () => {
    const predecessor = await createKey();
    const successor = await createKey({ lineageId: predecessor.id, dailyLimit: 40 });
    await recordUsage(predecessor.id, 0, 12);
    await expect((await get(predecessor)).json()).resolves.toMatchObject({
      used: 12,
      limit: 1000,
      remaining: 988,
    });
    await expect((await get(successor)).json()).resolves.toMatchObject({
      used: 12,
      limit: 40,
      remaining: 28,
    });
  });

  it('should show no negative remaining when usage exceeds a lowered limit', async () => {
    const key = await createKey({ dailyLimit: 5 });
    await recordUsage(key.id, 0, 9);
    const response = await get(key);
    await expect(response.json()).resolves.toMatchObject({ used: 9, limit: 5, remaining: 0 });
    expect(response.headers.get('ratelimit')).toMatch(/"daily";r=0;/);
  });

  it('should add a zero-filled daily history for ?days=N, oldest first, ending today', async () => {
    const key = await createKey();
    await recordUsage(key.id, 3, 7);
    await recordUsage(key.id, 0, 2);
    await recordUsage(key.id, 10, 99); // outside the window
    const body = (await (await get(key, '?days=5')).json()) as {
      history: Array<{ date: string; used: number }>;
      used: number;
    };
    expect(body.history.map((d) => d.used)).toEqual([0, 7, 0, 0, 2]);
    expect(body.history[4].date).toBe(await today());
    expect(body.used).toBe(2);
    const year = (await (await get(key, '?days=366')).json()) as { history: unknown[] };
    expect(year.history).toHaveLength(366);
  });

  it.each(['?days=0', '?days=367', '?days=abc', '?days=1.5'])(
    'should refuse %s with 400 validation_failed, headers included',
    async (query) => {
      const key = await createKey();
      const response = await get(key, query);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.requestId).toMatch(/^req_/);
      expect(response.headers.get('ratelimit-policy')).toContain('"daily";q=1000;w=86400');
    },
  );

  it('should answer 401 without rate-limit fields when there is no valid key', async () => {
    const response = await get(undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('ratelimit')).toBeNull();
    const wrong = await get({ id: 'x', plaintext: generateApiKey().plaintext });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('should be described in the OpenAPI document', async () => {
    const document = (await (await fetch(`${gateway.url}/docs-json`)).json()) as {
      paths: Record<
        string,
        { get?: { parameters?: Array<{ name: string }>; responses: Record<string, { headers?: object }> } }
      >;
    };
    const operation = document.paths['/api/v1/usage']?.get;
    expect(operation?.parameters?.map((p) => p.name)).toContain('days');
    expect(Object.keys(operation?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '429']),
    );
    expect(Object.keys(operation?.responses['200'].headers ?? {})).toEqual(
      expect.arrayContaining(['RateLimit-Policy', 'RateLimit']),
    );
  });
});
