import { generateApiKey } from '../support/app-code';
import { createTestDatabase } from '../support/database';
import { Answer, call, createAdminKeyWithCli, idOf, sleep } from '../support/keys';
import { migrate, startGateway, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(180_000);

/** The API-key guard on the real compiled gateway: one 401 for every failure, scopes, public routes. */
describe('API key authentication (real gateway, real Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gateway: GatewayProcess;
  let admin: string;

  const usage = (key?: string, bearer = false): Promise<Answer> =>
    call(gateway.url, 'GET', '/api/v1/usage', { key, bearer });

  async function create(body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    const answer = await call(gateway.url, 'POST', '/admin/v1/keys', {
      key: admin,
      body: { name: 'auth test', tier: 'pro', ...body },
    });
    expect(answer.status).toBe(201);
    return answer.body as { id: string; key: string };
  }

  /** A key for each failure mode, built through the real admin API. */
  async function failingKeys(): Promise<Record<string, { key?: string; bearer?: boolean }>> {
    const good = await create();
    const disabled = await create();
    await call(gateway.url, 'PATCH', `/admin/v1/keys/${disabled.id}`, {
      key: admin,
      body: { enabled: false },
    });
    const revoked = await create();
    expect((await usage(revoked.key)).status).toBe(200);
    await call(gateway.url, 'DELETE', `/admin/v1/keys/${revoked.id}`, { key: admin });
    const rotated = await create();
    expect((await usage(rotated.key)).status).toBe(200);
    await call(gateway.url, 'POST', `/admin/v1/keys/${rotated.id}/rotate`, {
      key: admin,
      body: { graceSeconds: 0 },
    });
    const expiring = await create({ expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await usage(expiring.key)).status).toBe(200);
    await sleep(1600);
    const secret = good.key.slice(idOf(good.key).length + 5);
    return {
      missing: {},
      'empty header': { key: '' },
      malformed: { key: 'definitely-not-a-key' },
      'wrong prefix': { key: `sk_${idOf(good.key)}_${secret}` },
      'characters appended': { key: `${good.key}AAAA` },
      'unknown id': { key: generateApiKey().plaintext },
      'wrong secret': { key: `ocr_${idOf(good.key)}_${generateApiKey().plaintext.slice(-43)}` },
      'wrong secret as bearer': {
        key: `ocr_${idOf(good.key)}_${generateApiKey().plaintext.slice(-43)}`,
        bearer: true,
      },
      disabled: { key: disabled.key },
      revoked: { key: revoked.key },
      'rotated, grace over': { key: rotated.key },
      expired: { key: expiring.key },
    };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    admin = await createAdminKeyWithCli(db.url);
    gateway = await startGateway({
      databaseUrl: db.url,
      env: { IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false' },
    });
  });

  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  it('should answer every failure with the same 401 body, apart from the request id', async () => {
    const cases = await failingKeys();
    const bodies = new Map<string, unknown>();
    const requestIds = new Set<string>();
    for (const [name, presented] of Object.entries(cases)) {
      const answer = await usage(presented.key, presented.bearer);
      expect([name, answer.status]).toEqual([name, 401]);
      requestIds.add(answer.body.error.requestId as string);
      bodies.set(name, { ...answer.body, error: { ...answer.body.error, requestId: undefined } });
    }
    const distinct = new Set([...bodies.values()].map((body) => JSON.stringify(body)));
    expect(distinct.size).toBe(1);
    expect(bodies.get('missing')).toEqual({
      error: { code: 'invalid_api_key', message: expect.any(String) },
    });
    expect(requestIds.size).toBe(Object.keys(cases).length);
  });

  it('should spend similar time on an unknown id, a malformed key and a wrong secret', async () => {
    const good = await create();
    const known = idOf(good.key);
    const kinds: Record<string, () => string> = {
      'wrong secret': () => `ocr_${known}_${generateApiKey().plaintext.slice(-43)}`,
      'unknown id': () => generateApiKey().plaintext,
      malformed: () => `ocr_${known}_short`,
    };
    const samples: Record<string, number[]> = { 'wrong secret': [], 'unknown id': [], malformed: [] };
    // Interleaved, so that load from elsewhere on the machine falls on every kind alike.
    for (let round = 0; round < 7; round++) {
      for (const [kind, make] of Object.entries(kinds)) {
        const started = process.hrtime.bigint();
        expect((await usage(make())).status).toBe(401);
        samples[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    const median = (values: number[]): number =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const reference = median(samples['wrong secret']);
    for (const kind of ['unknown id', 'malformed']) {
      const ratio = median(samples[kind]) / reference;
      // Without the dummy compare these answer in a few ms against bcrypt's tens: a ratio far below 1/3.
      expect([kind, ratio > 1 / 3 && ratio < 3]).toEqual([kind, true]);
    }
  });

  it('should accept the key in X-API-Key and as a bearer token in any case', async () => {
    const { key } = await create();
    expect((await usage(key)).status).toBe(200);
    expect((await usage(key, true)).status).toBe(200);
    const lower = await fetch(`${gateway.url}/api/v1/usage`, { headers: { authorization: `bearer ${key}` } });
    expect(lower.status).toBe(200);
  });

  it('should check expiry on every request, also when the verification is cached', async () => {
    const expiring = await create({ expiresAt: new Date(Date.now() + 2500).toISOString() });
    expect((await usage(expiring.key)).status).toBe(200);
    expect((await usage(expiring.key)).status).toBe(200);
    const { body } = await call(gateway.url, 'GET', `/admin/v1/keys/${expiring.id}`, { key: admin });
    await sleep(Date.parse(body.expiresAt as string) - Date.now() + 50);
    expect((await usage(expiring.key)).status).toBe(401);
  });

  it('should answer 403 forbidden to a valid key without the scope, and let an admin key use OCR routes', async () => {
    const ocrOnly = await create();
    const forbidden = await call(gateway.url, 'GET', '/admin/v1/keys', { key: ocrOnly.key });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    // A 403 answers an authenticated request: it passes the rate limit and carries its state.
    expect(forbidden.headers.get('ratelimit-policy')).toContain('"rate"');
    expect(forbidden.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    const adminOnly = await create({ scopes: ['admin'] });
    expect((await usage(adminOnly.key)).status).toBe(403);
    expect((await usage(admin)).status).toBe(200);
  });

  it('should leave health and the docs public', async () => {
    expect((await fetch(`${gateway.url}/health`)).status).not.toBe(401);
    const docs = await fetch(`${gateway.url}/docs-json`);
    expect(docs.status).toBe(200);
    const document = (await docs.json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(document.paths['/admin/v1/keys'].get.security).toEqual([{ 'api-key': [] }, { bearer: [] }]);
    expect(JSON.stringify(document)).not.toMatch(/ocr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}/);
  });

  it('should never write a presented key to its log', async () => {
    const { key } = await create();
    await usage(key);
    await usage(`${key.slice(0, -2)}xx`);
    expect(gateway.output()).not.toContain(key.slice(17));
    expect(gateway.output()).not.toContain(admin.slice(17));
  });
});
