import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { TOKEN_PREFIX } from '../support/app-code';
import { createTestDatabase } from '../support/database';
import { Answer, call, createAdminKeyWithCli, sleep } from '../support/keys';
import { openDatabase, renderPng, usedToday } from '../support/ocr';
import { migrate, startGateway, startWorker, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(240_000);

const SIGNING = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
const ENV = {
  IP_RATE_LIMIT_RPS: '0',
  METRICS_ENABLED: 'false',
  TIERS: JSON.stringify({
    test: { rps: 1000, burst: 1000, daily: 100_000 },
    tight: { rps: 0.01, burst: 3, daily: 10 },
  }),
};

/** Short-lived tokens on the real compiled gateway and worker, real Postgres. */
describe('Short-lived tokens (real gateway, worker and Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let gateway: GatewayProcess;
  let admin: string;

  /** A request with the token as a bearer, and optional extra headers (Origin). */
  async function withToken(
    method: string,
    path: string,
    token: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
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

  async function createKey(scopes: string[], tier = 'test'): Promise<{ id: string; key: string }> {
    const answer = await call(gateway.url, 'POST', '/admin/v1/keys', {
      key: admin,
      body: { name: 'tokens test', tier, scopes },
    });
    expect(answer.status).toBe(201);
    return answer.body as { id: string; key: string };
  }

  async function mint(
    key: string,
    body: Record<string, unknown> = {},
  ): Promise<{ token: string; expiresAt: string }> {
    const answer = await call(gateway.url, 'POST', '/api/v1/tokens', { key, body });
    expect(answer.status).toBe(201);
    return answer.body as { token: string; expiresAt: string };
  }

  function expectError(answer: Answer, status: number, code: string): void {
    expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
    expect(typeof answer.body.error.message).toBe('string');
    expect(typeof answer.body.error.requestId).toBe('string');
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    dataSource = await openDatabase(db.url);
    admin = await createAdminKeyWithCli(db.url);
    const worker = await startWorker({ env: { OCR_LANES: '1' }, timeoutMs: 120_000 });
    gateway = await startGateway({
      databaseUrl: db.url,
      workerPort: worker.port,
      env: { ...ENV, TOKEN_SIGNING_KEYS: SIGNING.join(',') },
      timeoutMs: 90_000,
    });
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('should mint a token that works as a bearer on usage and OCR, and count against the key that minted it', async () => {
    const parent = await createKey(['ocr', 'tokens']);
    const before = Date.now();
    const { token, expiresAt } = await mint(parent.key, { ttlSeconds: 120 });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token).not.toContain(parent.key.replace(/^ocr_[a-z0-9]+_/, ''));
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 119_000);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(Date.now() + 120_000);

    const usage = await withToken('GET', '/api/v1/usage', token);
    expect(usage.status).toBe(200);
    expect(usage.body.used).toBe(0);

    const image = (await renderPng(['TOKEN 42'])).toString('base64');
    const ocr = await withToken('POST', '/api/v1/ocr', token, { body: { image } });
    expect(ocr.status).toBe(200);
    expect(await usedToday(dataSource, parent.id)).toBe(1);
    const parentUsage = await call(gateway.url, 'GET', '/api/v1/usage', { key: parent.key });
    expect(parentUsage.body.used).toBe(1);
  });

  it("should share the key's rate limit", async () => {
    const parent = await createKey(['ocr', 'tokens'], 'tight');
    const { token } = await mint(parent.key); // 1 of the burst of 3
    expect((await withToken('GET', '/api/v1/usage', token)).status).toBe(200); // 2
    expect((await call(gateway.url, 'GET', '/api/v1/usage', { key: parent.key })).status).toBe(200); // 3
    expectError(await withToken('GET', '/api/v1/usage', token), 429, 'rate_limited');
  });

  it('should refuse a token once it expired', async () => {
    const parent = await createKey(['ocr', 'tokens']);
    const { token, expiresAt } = await mint(parent.key, { ttlSeconds: 30 });
    expect((await withToken('GET', '/api/v1/usage', token)).status).toBe(200);
    // A minimum of 30 s keeps the spec honest without a clock of its own: wait it out.
    await sleep(Date.parse(expiresAt) - Date.now() + 200);
    expectError(await withToken('GET', '/api/v1/usage', token), 401, 'invalid_api_key');
  }, 90_000);

  it('should refuse the token of a key revoked or disabled since', async () => {
    const revoked = await createKey(['ocr', 'tokens']);
    const disabled = await createKey(['ocr', 'tokens']);
    const first = await mint(revoked.key);
    const second = await mint(disabled.key);
    expect((await withToken('GET', '/api/v1/usage', first.token)).status).toBe(200);
    expect((await withToken('GET', '/api/v1/usage', second.token)).status).toBe(200);
    expect((await call(gateway.url, 'DELETE', `/admin/v1/keys/${revoked.id}`, { key: admin })).status).toBe(
      204,
    );
    expect(
      (
        await call(gateway.url, 'PATCH', `/admin/v1/keys/${disabled.id}`, {
          key: admin,
          body: { enabled: false },
        })
      ).status,
    ).toBe(200);
    expectError(await withToken('GET', '/api/v1/usage', first.token), 401, 'invalid_api_key');
    expectError(await withToken('GET', '/api/v1/usage', second.token), 401, 'invalid_api_key');
  });

  it('should demand the Origin a token is bound to', async () => {
    const parent = await createKey(['ocr', 'tokens']);
    const { token } = await mint(parent.key, { origin: 'https://app.example.com' });
    const ok = await withToken('GET', '/api/v1/usage', token, {
      headers: { origin: 'https://app.example.com' },
    });
    expect(ok.status).toBe(200);
    expectError(
      await withToken('GET', '/api/v1/usage', token, { headers: { origin: 'https://evil.example.com' } }),
      403,
      'origin_not_allowed',
    );
    expectError(await withToken('GET', '/api/v1/usage', token), 403, 'origin_not_allowed');
  });

  it('should refuse a tampered token, and a token sent as X-API-Key', async () => {
    const parent = await createKey(['ocr', 'tokens']);
    const { token } = await mint(parent.key, { ttlSeconds: 60 });
    const [body, signature] = token.slice(TOKEN_PREFIX.length).split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as { k: string; e: number };
    const longer = Buffer.from(JSON.stringify({ ...payload, e: payload.e + 3600 })).toString('base64url');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    for (const forged of [`${TOKEN_PREFIX}${longer}.${signature}`, `${TOKEN_PREFIX}${body}.${flipped}`]) {
      expectError(await withToken('GET', '/api/v1/usage', forged), 401, 'invalid_api_key');
    }
    expectError(await call(gateway.url, 'GET', '/api/v1/usage', { key: token }), 401, 'invalid_api_key');
  });

  it('should let a token neither mint tokens nor call the admin API, even from an admin key', async () => {
    const parent = await createKey(['ocr', 'admin', 'tokens']);
    const { token } = await mint(parent.key);
    expectError(await withToken('POST', '/api/v1/tokens', token, { body: {} }), 403, 'forbidden');
    expectError(await withToken('GET', '/admin/v1/keys', token), 403, 'forbidden');
  });

  it('should mint only for a key with the tokens scope, within the documented ttl', async () => {
    const plain = await createKey(['ocr']);
    expectError(
      await call(gateway.url, 'POST', '/api/v1/tokens', { key: plain.key, body: {} }),
      403,
      'forbidden',
    );
    const parent = await createKey(['ocr', 'tokens']);
    for (const body of [
      { ttlSeconds: 3601 },
      { ttlSeconds: 29 },
      { origin: 'https://app.example.com/path' },
      { extra: 1 },
    ]) {
      expectError(
        await call(gateway.url, 'POST', '/api/v1/tokens', { key: parent.key, body }),
        400,
        'validation_failed',
      );
    }
    const { expiresAt } = await mint(parent.key);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(290_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
  });

  it('should answer 404 and refuse every token on a gateway without TOKEN_SIGNING_KEYS', async () => {
    const parent = await createKey(['ocr', 'tokens']);
    const { token } = await mint(parent.key);
    const off = await startGateway({ databaseUrl: db.url, env: ENV });
    expectError(
      await call(off.url, 'POST', '/api/v1/tokens', { key: parent.key, body: {} }),
      404,
      'not_found',
    );
    const usage = await fetch(`${off.url}/api/v1/usage`, { headers: { authorization: `Bearer ${token}` } });
    expect(usage.status).toBe(401);
    expect((await call(off.url, 'GET', '/api/v1/usage', { key: parent.key })).status).toBe(200);
  });
});
