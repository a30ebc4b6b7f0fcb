import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createTestDatabase } from '../support/database';
import { Answer, createAdminKeyWithCli, runKeysCli } from '../support/keys';
import { migrate, startGateway, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(240_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_PREFIX = `e2e:restrictions:${randomBytes(4).toString('hex')}:`;
const APP = 'https://app.example.com';
const LISTED = 'https://listed.example.com';
const EVIL = 'https://evil.example.com';

/**
 * Restrictions per key on two real compiled gateways (one database, one Redis): origins with the
 * per-key CORS answer, client networks through X-Forwarded-For (TRUST_PROXY=loopback: the spec's
 * own connection is the trusted proxy), a rate of the key's own in Redis, tokens held to their
 * key's origins, changes in effect on the other gateway from the next request on, bad values 400.
 * No worker is needed: the usage endpoint is authenticated, throttled and answered by the gateway.
 */
describe('Key restrictions (real gateways, Postgres and Redis)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gateway: GatewayProcess;
  let other: GatewayProcess;
  let redis: Redis;
  let admin: string;

  async function request(
    base: string,
    method: string,
    path: string,
    options: { key?: string; bearer?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.key !== undefined && { 'x-api-key': options.key }),
        ...(options.bearer !== undefined && { authorization: `Bearer ${options.bearer}` }),
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : JSON.parse(text),
      headers: response.headers,
    };
  }

  const usage = (key: string, headers: Record<string, string> = {}, base = gateway.url): Promise<Answer> =>
    request(base, 'GET', '/api/v1/usage', { key, headers });

  async function createKey(
    body: Record<string, unknown>,
  ): Promise<{ id: string; key: string } & Record<string, unknown>> {
    const answer = await request(gateway.url, 'POST', '/admin/v1/keys', {
      key: admin,
      body: { name: 'restricted', tier: 'test', ...body },
    });
    expect(answer.status).toBe(201);
    return answer.body as { id: string; key: string };
  }

  async function patch(id: string, body: Record<string, unknown>): Promise<Answer> {
    return request(gateway.url, 'PATCH', `/admin/v1/keys/${id}`, { key: admin, body });
  }

  function expectError(answer: Answer, status: number, code: string): void {
    expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
    expect(typeof answer.body.error.message).toBe('string');
    expect(typeof answer.body.error.requestId).toBe('string');
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    admin = await createAdminKeyWithCli(db.url);
    redis = new Redis(REDIS_URL);
    const env = {
      IP_RATE_LIMIT_RPS: '0',
      METRICS_ENABLED: 'false',
      TRUST_PROXY: 'loopback',
      CORS_ORIGINS: LISTED,
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: REDIS_PREFIX,
      TOKEN_SIGNING_KEYS: randomBytes(32).toString('base64url'),
      TIERS: JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } }),
    };
    [gateway, other] = await Promise.all([
      startGateway({ databaseUrl: db.url, env, timeoutMs: 90_000 }),
      startGateway({ databaseUrl: db.url, env, timeoutMs: 90_000 }),
    ]);
  });

  afterAll(async () => {
    await stopAll();
    if (redis !== undefined) {
      const keys = await redis.keys(`${REDIS_PREFIX}*`);
      if (keys.length > 0) {
        await redis.del(...keys);
      }
      await redis.quit();
    }
    await db?.drop();
  });

  it('should store restrictions normalised and show them in every key answer', async () => {
    const created = await createKey({
      allowedOrigins: ['HTTPS://App.Example.com:443', 'http://localhost:3000'],
      allowedCidrs: ['203.0.113.9/24', '2001:DB8::/32'],
      rateLimit: { requests: 30 },
    });
    const expected = {
      allowedOrigins: [APP, 'http://localhost:3000'],
      allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      rateLimit: { requests: 30, windowSeconds: 60 },
    };
    expect(created).toMatchObject(expected);
    expect(
      (await request(gateway.url, 'GET', `/admin/v1/keys/${created.id}`, { key: admin })).body,
    ).toMatchObject(expected);
    const items = (await request(gateway.url, 'GET', '/admin/v1/keys', { key: admin })).body.items as Array<{
      id: string;
    }>;
    expect(items.find((item) => item.id === created.id)).toMatchObject(expected);
    const plain = items.find((item) => item.id !== created.id);
    expect(plain).toMatchObject({ allowedOrigins: [], allowedCidrs: [], rateLimit: null });
  });

  it("should answer a browser per key: the key's origins read the answer, another origin gets 403 without CORS", async () => {
    const { key } = await createKey({ allowedOrigins: [APP] });
    const allowed = await usage(key, { origin: APP });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('RateLimit');
    expect(allowed.headers.get('vary')).toMatch(/origin/i);

    for (const origin of [EVIL, LISTED, 'null']) {
      const refused = await usage(key, { origin });
      expectError(refused, 403, 'origin_not_allowed');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect((await usage(key, { origin: EVIL })).body.error.message).toContain(EVIL);
    // Not from a page: the origin fence does not apply (allowedCidrs is the fence for servers).
    expect((await usage(key)).status).toBe(200);

    const { key: open } = await createKey({});
    const listed = await usage(open, { origin: LISTED });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    const unlisted = await usage(open, { origin: EVIL });
    expect(unlisted.status).toBe(200);
    expect(unlisted.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should grant any preflight on the public API, and on the admin API only to CORS_ORIGINS', async () => {
    const preflight = (path: string, origin: string, method = 'POST'): Promise<Answer> =>
      request(gateway.url, 'OPTIONS', path, {
        headers: {
          origin,
          'access-control-request-method': method,
          'access-control-request-headers': 'x-api-key,content-type',
        },
      });
    for (const origin of [APP, EVIL]) {
      const granted = await preflight('/api/v1/ocr', origin);
      expect(granted.status).toBe(204);
      expect(granted.headers.get('access-control-allow-origin')).toBe(origin);
      expect(granted.headers.get('access-control-allow-methods')).toContain('POST');
      expect(granted.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
      expect(granted.headers.get('access-control-allow-credentials')).toBeNull();
    }
    expect(
      (await preflight('/admin/v1/keys', EVIL, 'GET')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    const listed = await preflight('/admin/v1/keys', LISTED, 'PATCH');
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(listed.headers.get('access-control-allow-methods')).toContain('PATCH');
  });

  it('should admit only client addresses in the allowed networks, IPv4 and IPv6, as forwarded by a trusted proxy', async () => {
    const { key } = await createKey({ allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    const from = (address: string): Promise<Answer> => usage(key, { 'x-forwarded-for': address });
    expect((await from('203.0.113.7')).status).toBe(200);
    expect((await from('2001:db8:5::1')).status).toBe(200);
    // The left part is the client's claim, the right part what the trusted proxy saw: the latter counts.
    expect((await from('203.0.113.7, 198.51.100.1')).status).toBe(403);
    for (const address of ['198.51.100.1', '2001:db9::1', '203.0.114.1']) {
      const refused = await from(address);
      expectError(refused, 403, 'address_not_allowed');
      expect(refused.body.error.message).toContain(address);
    }
    // No forwarded address: the spec's own loopback connection, outside the networks.
    expectError(await usage(key), 403, 'address_not_allowed');
  });

  it("should hold tokens to their key's origins, and the minting, not the token, to its networks", async () => {
    const { key } = await createKey({
      scopes: ['ocr', 'tokens'],
      allowedOrigins: [APP],
      allowedCidrs: ['203.0.113.0/24'],
    });
    const backend = { 'x-forwarded-for': '203.0.113.7' };
    const mint = (body: Record<string, unknown>, headers = backend): Promise<Answer> =>
      request(gateway.url, 'POST', '/api/v1/tokens', { key, body, headers });
    expectError(await mint({ origin: EVIL }), 403, 'origin_not_allowed');
    expectError(await mint({}, { 'x-forwarded-for': '198.51.100.1' }), 403, 'address_not_allowed');
    const bound = await mint({ origin: 'HTTPS://APP.example.com' });
    expect(bound.status).toBe(201);
    const unbound = await mint({});
    expect(unbound.status).toBe(201);

    const phone = { 'x-forwarded-for': '198.51.100.23' };
    const withToken = (token: string, headers: Record<string, string>): Promise<Answer> =>
      request(gateway.url, 'GET', '/api/v1/usage', { bearer: token, headers: { ...phone, ...headers } });
    const used = await withToken(bound.body.token, { origin: APP });
    expect(used.status).toBe(200);
    expect(used.headers.get('access-control-allow-origin')).toBe(APP);
    expectError(await withToken(unbound.body.token, { origin: EVIL }), 403, 'origin_not_allowed');
    expect((await withToken(unbound.body.token, { origin: APP })).status).toBe(200);
    const refused = await withToken(bound.body.token, { origin: LISTED });
    expectError(refused, 403, 'origin_not_allowed');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should throttle a key by its own rate, in Redis, and take a changed rate at once', async () => {
    const { id, key } = await createKey({ rateLimit: { requests: 3, windowSeconds: 60 } });
    const first = await usage(key);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toContain('"rate";q=3;w=60');
    expect(first.body.rateLimit).toEqual({ rps: 0.05, burst: 3 });
    expect((await usage(key)).status).toBe(200);
    // The other gateway shares the bucket through Redis.
    expect((await usage(key, {}, other.url)).status).toBe(200);
    const limited = await usage(key);
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await redis.keys(`${REDIS_PREFIX}*${id}*`)).not.toHaveLength(0);

    expect((await patch(id, { rateLimit: { requests: 5, windowSeconds: 10 } })).body.rateLimit).toEqual({
      requests: 5,
      windowSeconds: 10,
    });
    const raised = await usage(key, {}, other.url);
    expect(raised.status).toBe(200);
    expect(raised.headers.get('ratelimit-policy')).toContain('"rate";q=5;w=10');
    expect((await patch(id, { rateLimit: null })).body.rateLimit).toBeNull();
    const tier = await usage(key);
    expect(tier.status).toBe(200);
    expect(tier.headers.get('ratelimit-policy')).toContain('"rate";q=1000;w=1');
  });

  it('should apply a change on the other gateway from the next request on', async () => {
    const { id, key } = await createKey({});
    // Verified and cached on the other gateway first.
    expect((await usage(key, { origin: EVIL, 'x-forwarded-for': '203.0.113.7' }, other.url)).status).toBe(
      200,
    );
    expect((await patch(id, { allowedOrigins: [APP] })).status).toBe(200);
    expectError(await usage(key, { origin: EVIL }, other.url), 403, 'origin_not_allowed');
    expect((await patch(id, { allowedCidrs: ['198.51.100.0/24'] })).status).toBe(200);
    expectError(
      await usage(key, { origin: APP, 'x-forwarded-for': '203.0.113.7' }, other.url),
      403,
      'address_not_allowed',
    );
    expect((await usage(key, { origin: APP, 'x-forwarded-for': '198.51.100.7' }, other.url)).status).toBe(
      200,
    );
    const lifted = await patch(id, { allowedOrigins: [], allowedCidrs: [] });
    expect(lifted.body).toMatchObject({ allowedOrigins: [], allowedCidrs: [] });
    expect((await usage(key, { origin: EVIL, 'x-forwarded-for': '203.0.113.7' }, other.url)).status).toBe(
      200,
    );
  });

  it('should keep the restrictions across a rotation', async () => {
    const { id } = await createKey({
      allowedCidrs: ['203.0.113.0/24'],
      rateLimit: { requests: 50, windowSeconds: 5 },
    });
    const rotated = await request(gateway.url, 'POST', `/admin/v1/keys/${id}/rotate`, {
      key: admin,
      body: {},
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({
      allowedCidrs: ['203.0.113.0/24'],
      rateLimit: { requests: 50, windowSeconds: 5 },
    });
    expectError(await usage(rotated.body.key), 403, 'address_not_allowed');
  });

  it.each<[string, Record<string, unknown>]>([
    ['an origin with a path', { allowedOrigins: ['https://app.example.com/path'] }],
    ['an origin with a trailing slash', { allowedOrigins: ['https://app.example.com/'] }],
    ['a wildcard origin', { allowedOrigins: ['*'] }],
    ['a bare host', { allowedOrigins: ['app.example.com'] }],
    ['a port out of range', { allowedOrigins: ['https://app.example.com:70000'] }],
    ['origins that are not a list', { allowedOrigins: 'https://app.example.com' }],
    ['a non-string origin', { allowedOrigins: [42] }],
    ['33 origins', { allowedOrigins: Array.from({ length: 33 }, (_, i) => `https://a${i}.example.com`) }],
    ['a prefix too long', { allowedCidrs: ['10.0.0.0/33'] }],
    ['an IPv6 prefix too long', { allowedCidrs: ['2001:db8::/129'] }],
    ['a host name as a network', { allowedCidrs: ['example.com'] }],
    ['a short IPv4 form', { allowedCidrs: ['127.1'] }],
    ['33 networks', { allowedCidrs: Array.from({ length: 33 }, (_, i) => `10.0.${i}.0/24`) }],
    ['a rate of 0', { rateLimit: { requests: 0 } }],
    ['a window of 0', { rateLimit: { requests: 10, windowSeconds: 0 } }],
    ['a window over an hour', { rateLimit: { requests: 10, windowSeconds: 3601 } }],
    ['a fractional rate', { rateLimit: { requests: 1.5 } }],
    ['a rate that is a number', { rateLimit: 10 }],
    ['a rate without requests', { rateLimit: { windowSeconds: 60 } }],
    ['an unknown rate field', { rateLimit: { requests: 10, burst: 3 } }],
  ])('should refuse %s with 400, on create and on change', async (_case, body) => {
    const created = await request(gateway.url, 'POST', '/admin/v1/keys', {
      key: admin,
      body: { name: 'bad', tier: 'test', ...body },
    });
    expectError(created, 400, 'validation_failed');
    const { id } = await createKey({});
    expectError(await patch(id, body), 400, 'validation_failed');
  });

  it('should document the restrictions, their bounds and their refusals in the OpenAPI document', async () => {
    const document = (await (await fetch(`${gateway.url}/docs-json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { examples?: object }> }> }>
      >;
      components: {
        schemas: Record<
          string,
          { properties: Record<string, { maxItems?: number; nullable?: boolean }>; required?: string[] }
        >;
      };
    };
    const { schemas } = document.components;
    for (const name of ['CreateApiKeyDto', 'UpdateApiKeyDto']) {
      expect(schemas[name].properties.allowedOrigins.maxItems).toBe(32);
      expect(schemas[name].properties.allowedCidrs.maxItems).toBe(32);
      expect(schemas[name].properties.rateLimit.nullable).toBe(true);
    }
    expect(schemas.ApiKeyDto.required).toEqual(
      expect.arrayContaining(['allowedOrigins', 'allowedCidrs', 'rateLimit']),
    );
    for (const [path, method] of [
      ['/api/v1/usage', 'get'],
      ['/api/v1/ocr', 'post'],
      ['/api/v1/tokens', 'post'],
    ]) {
      const examples =
        document.paths[path][method].responses['403'].content?.['application/json']?.examples ?? {};
      expect(Object.keys(examples)).toEqual(
        expect.arrayContaining(['origin_not_allowed', 'address_not_allowed']),
      );
    }
  });

  it('should restrict a key from the CLI, in effect on the running gateway at once', async () => {
    const { id, key } = await createKey({});
    expect((await usage(key)).status).toBe(200);
    const result = await runKeysCli(db.url, [
      'restrict',
      id,
      '--allowed-cidrs',
      '203.0.113.0/24',
      '--rate-limit',
      '7/30',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('networks 203.0.113.0/24, rate 7/30s');
    expectError(await usage(key), 403, 'address_not_allowed');
    const allowed = await usage(key, { 'x-forwarded-for': '203.0.113.1' });
    expect(allowed.headers.get('ratelimit-policy')).toContain('"rate";q=7;w=30');
    const bad = await runKeysCli(db.url, ['restrict', id, '--allowed-cidrs', '10.0.0.0/40']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('allowedCidrs');
  });
});
