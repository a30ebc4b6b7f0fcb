import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase } from '../support/database';
import { call, createAdminKeyWithCli, idOf, runKeysCli, runNode, sleep } from '../support/keys';
import { built } from '../support/paths';
import { migrate, startGateway, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(120_000);

const KEY_FORMAT = /^ocr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/;
const KEY_FIELDS = [
  'allowedCidrs',
  'allowedOrigins',
  'createdAt',
  'dailyLimit',
  'enabled',
  'expiresAt',
  'id',
  'lastUsedAt',
  'name',
  'rateLimit',
  'scopes',
  'status',
  'tier',
];

/** The admin REST API and the keys CLI, on the real compiled gateway against real Postgres. */
describe('admin keys API (real gateway, real Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pg: Client;
  let gateway: GatewayProcess;
  let admin: string;

  const admin$ = (method: string, path: string, body?: unknown) =>
    call(gateway.url, method, `/admin/v1/keys${path}`, { key: admin, body });

  async function create(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const answer = await admin$('POST', '', body);
    expect(answer.status).toBe(201);
    return answer.body as { id: string; key: string };
  }

  /** Whether a key authenticates, through GET /api/v1/usage (ocr scope). */
  async function works(key: string): Promise<boolean> {
    const answer = await call(gateway.url, 'GET', '/api/v1/usage', { key });
    expect([200, 401]).toContain(answer.status);
    return answer.status === 200;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    admin = await createAdminKeyWithCli(db.url);
    gateway = await startGateway({
      databaseUrl: db.url,
      env: { IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false', KEY_LAST_USED_FLUSH_MS: '200' },
    });
  });

  afterAll(async () => {
    await stopAll();
    await pg?.end();
    await db?.drop();
  });

  describe('create', () => {
    it('should answer 201 with the key object and the plaintext key, storing only a bcrypt hash', async () => {
      const created = await create({
        name: 'app',
        tier: 'pro',
        dailyLimit: 50,
        expiresAt: '2099-01-01T00:00:00Z',
      });
      expect(Object.keys(created).sort()).toEqual([...KEY_FIELDS, 'key'].sort());
      expect(created).toMatchObject({
        name: 'app',
        tier: 'pro',
        scopes: ['ocr'],
        enabled: true,
        dailyLimit: 50,
        expiresAt: '2099-01-01T00:00:00.000Z',
        lastUsedAt: null,
      });
      expect(created.key).toMatch(KEY_FORMAT);
      expect(idOf(created.key)).toBe(created.id);
      const { rows } = await pg.query<{ key_hash: string; lineage_id: string }>(
        'SELECT key_hash, lineage_id FROM api_keys WHERE id = $1',
        [created.id],
      );
      expect(rows[0].key_hash).toMatch(/^\$2b\$10\$/);
      expect(rows[0].key_hash).not.toContain(created.key.slice(17));
      expect(rows[0].lineage_id).toBe(created.id);
      expect(await works(created.key)).toBe(true);
    });

    it.each([
      ['an unknown tier', { name: 'x', tier: 'gold' }],
      ['no name', { tier: 'pro' }],
      ['an unknown scope', { name: 'x', tier: 'pro', scopes: ['root'] }],
      ['an empty scope list', { name: 'x', tier: 'pro', scopes: [] }],
      ['an expiry in the past', { name: 'x', tier: 'pro', expiresAt: '2001-01-01T00:00:00Z' }],
      ['a negative daily limit', { name: 'x', tier: 'pro', dailyLimit: -1 }],
      ['an unknown field', { name: 'x', tier: 'pro', keyHash: 'x' }],
    ])('should refuse %s with 400 validation_failed', async (_case, body) => {
      const answer = await admin$('POST', '', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
    });
  });

  describe('list and get', () => {
    it('should list keys without any secret or hash', async () => {
      const created = await create({ name: 'listed', tier: 'pro', scopes: ['ocr', 'admin'] });
      const answer = await admin$('GET', '');
      expect(answer.status).toBe(200);
      const listed = (answer.body.items as Array<{ id: string }>).find((item) => item.id === created.id);
      expect(listed).toMatchObject({ name: 'listed', scopes: ['ocr', 'admin'] });
      const raw = JSON.stringify(answer.body);
      expect(raw).not.toContain('$2b$');
      expect(raw).not.toMatch(/ocr_[a-z0-9]{12}_/);
      expect(raw).not.toMatch(/"key"|keyHash|key_hash/);
    });

    it('should get one key, 404 for an unknown id and 400 for a malformed one', async () => {
      const created = await create({ name: 'one', tier: 'free' });
      const got = await admin$('GET', `/${created.id}`);
      expect(got.status).toBe(200);
      expect(Object.keys(got.body).sort()).toEqual(KEY_FIELDS);
      expect((await admin$('GET', '/zzzzzzzzzzzz')).body.error.code).toBe('not_found');
      expect((await admin$('GET', '/zzzzzzzzzzzz')).status).toBe(404);
      const malformed = await admin$('GET', '/not-an-id');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('validation_failed');
    });
  });

  describe('patch', () => {
    it('should change name, tier, expiresAt and dailyLimit, and clear them with null', async () => {
      const created = await create({ name: 'before', tier: 'free' });
      const changed = await admin$('PATCH', `/${created.id}`, {
        name: 'after',
        tier: 'enterprise',
        expiresAt: '2098-05-01T00:00:00Z',
        dailyLimit: 7,
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        name: 'after',
        tier: 'enterprise',
        expiresAt: '2098-05-01T00:00:00.000Z',
        dailyLimit: 7,
      });
      const cleared = await admin$('PATCH', `/${created.id}`, { expiresAt: null, dailyLimit: null });
      expect(cleared.body).toMatchObject({ name: 'after', expiresAt: null, dailyLimit: null });
      const usage = await call(gateway.url, 'GET', '/api/v1/usage', { key: created.key });
      expect(usage.body.limit).toBe(100_000);
    });

    it('should make a disabled key fail on the next request, and an enabled one work again', async () => {
      const created = await create({ name: 'toggle', tier: 'pro' });
      expect(await works(created.key)).toBe(true);
      expect((await admin$('PATCH', `/${created.id}`, { enabled: false })).body.enabled).toBe(false);
      expect(await works(created.key)).toBe(false);
      expect((await admin$('PATCH', `/${created.id}`, { enabled: true })).body.enabled).toBe(true);
      expect(await works(created.key)).toBe(true);
    });

    it('should apply a new daily limit on the next request', async () => {
      const created = await create({ name: 'limit', tier: 'pro' });
      expect((await call(gateway.url, 'GET', '/api/v1/usage', { key: created.key })).body.limit).toBe(1000);
      await admin$('PATCH', `/${created.id}`, { dailyLimit: 3 });
      expect((await call(gateway.url, 'GET', '/api/v1/usage', { key: created.key })).body.limit).toBe(3);
    });

    it('should refuse an unknown tier with 400 and an unknown id with 404', async () => {
      const created = await create({ name: 'p', tier: 'pro' });
      expect((await admin$('PATCH', `/${created.id}`, { tier: 'gold' })).status).toBe(400);
      expect((await admin$('PATCH', '/zzzzzzzzzzzz', { name: 'x' })).status).toBe(404);
    });
  });

  describe('rotate', () => {
    it('should issue a new key with a new id, the same settings and lineage, and keep the old one through its grace', async () => {
      const old = await create({ name: 'rotating', tier: 'pro', dailyLimit: 40 });
      expect(await works(old.key)).toBe(true);
      const rotated = await admin$('POST', `/${old.id}/rotate`, { graceSeconds: 2 });
      expect(rotated.status).toBe(201);
      expect(rotated.body.key).toMatch(KEY_FORMAT);
      expect(rotated.body.id).not.toBe(old.id);
      expect(rotated.body).toMatchObject({
        name: 'rotating',
        tier: 'pro',
        scopes: ['ocr'],
        dailyLimit: 40,
        rotatedFrom: old.id,
      });
      const { rows } = await pg.query<{ id: string; lineage_id: string }>(
        'SELECT id, lineage_id FROM api_keys WHERE id = ANY($1)',
        [[old.id, rotated.body.id]],
      );
      expect(new Set(rows.map((row) => row.lineage_id))).toEqual(new Set([old.id]));
      const oldNow = await admin$('GET', `/${old.id}`);
      expect(Date.parse(oldNow.body.graceEndsAt)).toBeGreaterThan(Date.now());
      expect(rotated.body.graceEndsAt).toBe(oldNow.body.graceEndsAt);

      expect(await works(old.key)).toBe(true);
      expect(await works(rotated.body.key)).toBe(true);
      await sleep(Date.parse(oldNow.body.graceEndsAt) - Date.now() + 100);
      expect(await works(old.key)).toBe(false);
      expect(await works(rotated.body.key)).toBe(true);
    });

    it('should end the old key at once without a grace, and refuse a second rotation of it', async () => {
      const old = await create({ name: 'no grace', tier: 'pro' });
      expect(await works(old.key)).toBe(true);
      const rotated = await call(gateway.url, 'POST', `/admin/v1/keys/${old.id}/rotate`, { key: admin });
      expect(rotated.status).toBe(201);
      expect(await works(old.key)).toBe(false);
      expect(await works(rotated.body.key)).toBe(true);
      const again = await admin$('POST', `/${old.id}/rotate`, {});
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('conflict');
    });

    it('should refuse a grace out of range', async () => {
      const old = await create({ name: 'bad grace', tier: 'pro' });
      expect((await admin$('POST', `/${old.id}/rotate`, { graceSeconds: -1 })).status).toBe(400);
      expect((await admin$('POST', `/${old.id}/rotate`, { graceSeconds: 1.5 })).status).toBe(400);
    });
  });

  describe('status and expiry warning', () => {
    it('should say active, disabled, rotating and expired as the key goes through them', async () => {
      const key = await create({ name: 'status', tier: 'pro' });
      expect((await admin$('GET', `/${key.id}`)).body.status).toBe('active');
      expect((await admin$('PATCH', `/${key.id}`, { enabled: false })).body.status).toBe('disabled');
      expect((await admin$('PATCH', `/${key.id}`, { enabled: true })).body.status).toBe('active');
      const rotated = await admin$('POST', `/${key.id}/rotate`, { graceSeconds: 2 });
      expect(rotated.body.status).toBe('active');
      const during = await admin$('GET', '');
      const old = (during.body.items as Array<{ id: string; status: string }>).find(
        (item) => item.id === key.id,
      );
      expect(old?.status).toBe('rotating');
      await sleep(Date.parse(rotated.body.graceEndsAt) - Date.now() + 100);
      expect((await admin$('GET', `/${key.id}`)).body.status).toBe('expired');

      const expiring = await create({
        name: 'expiring',
        tier: 'pro',
        expiresAt: new Date(Date.now() + 1500).toISOString(),
      });
      expect(expiring).toMatchObject({ status: 'active' });
      await sleep(1600);
      expect((await admin$('GET', `/${expiring.id}`)).body.status).toBe('expired');
    });

    it('should warn on every answer to a key that expires within seven days, and only then', async () => {
      const soon = new Date(Date.now() + 3 * 24 * 3600 * 1000);
      const expiring = await create({ name: 'soon', tier: 'pro', expiresAt: soon.toISOString() });
      const later = await create({
        name: 'later',
        tier: 'pro',
        expiresAt: new Date(Date.now() + 8 * 24 * 3600 * 1000).toISOString(),
      });
      const never = await create({ name: 'never', tier: 'pro' });
      const usage = await call(gateway.url, 'GET', '/api/v1/usage', { key: expiring.key });
      expect(usage.status).toBe(200);
      expect(usage.headers.get('warning')).toBe(`299 - "API key expires at ${soon.toISOString()}"`);
      // An error answer too: the owner sees it whatever the request.
      const refused = await call(gateway.url, 'GET', '/admin/v1/keys', { key: expiring.key });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('warning')).toBe(`299 - "API key expires at ${soon.toISOString()}"`);
      for (const key of [later.key, never.key]) {
        const answer = await call(gateway.url, 'GET', '/api/v1/usage', { key });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('warning')).toBeNull();
      }
    });
  });

  describe('revoke', () => {
    it('should answer 204, refuse the key from the next request on, and hide it afterwards', async () => {
      const created = await create({ name: 'doomed', tier: 'pro' });
      expect(await works(created.key)).toBe(true);
      const revoked = await admin$('DELETE', `/${created.id}`);
      expect(revoked.status).toBe(204);
      expect(revoked.body).toBeUndefined();
      expect(await works(created.key)).toBe(false);
      expect((await admin$('GET', `/${created.id}`)).status).toBe(404);
      expect((await admin$('DELETE', `/${created.id}`)).status).toBe(404);
      const list = await admin$('GET', '');
      expect((list.body.items as Array<{ id: string }>).map((item) => item.id)).not.toContain(created.id);
      const { rows } = await pg.query('SELECT revoked_at FROM api_keys WHERE id = $1', [created.id]);
      expect(rows[0].revoked_at).not.toBeNull();
    });

    it('should refuse to revoke or disable the last usable admin key with 409, and allow it once another exists', async () => {
      const db2 = await createTestDatabase();
      try {
        await migrate(db2.url);
        const only = await createAdminKeyWithCli(db2.url, 'only admin');
        const lone = await startGateway({
          databaseUrl: db2.url,
          env: { IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false' },
        });
        const onLone = (method: string, path: string, key: string, body?: unknown) =>
          call(lone.url, method, `/admin/v1/keys${path}`, { key, body });
        for (const [method, body] of [
          ['DELETE', undefined],
          ['PATCH', { enabled: false }],
        ] as const) {
          const refused = await onLone(method, `/${idOf(only)}`, only, body);
          expect(refused.status).toBe(409);
          expect(refused.body.error.code).toBe('conflict');
        }
        const second = await onLone('POST', '', only, {
          name: 'second admin',
          tier: 'pro',
          scopes: ['admin'],
        });
        expect((await onLone('DELETE', `/${idOf(only)}`, second.body.key)).status).toBe(204);
        expect((await onLone('GET', '', only)).status).toBe(401);
        await lone.stop();
      } finally {
        await db2.drop();
      }
    });
  });

  describe('usage', () => {
    it("should show the lineage's daily usage, zero-filled, oldest first, also after a rotation", async () => {
      const created = await create({ name: 'busy', tier: 'pro' });
      await pg.query(
        `INSERT INTO daily_usage (lineage_id, day, used) VALUES
           ($1, (now() AT TIME ZONE 'UTC')::date, 5), ($1, (now() AT TIME ZONE 'UTC')::date - 2, 3)`,
        [created.id],
      );
      const answer = await admin$('GET', `/${created.id}/usage?days=3`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: created.id, days: 3, total: 8 });
      expect((answer.body.items as Array<{ used: number }>).map((day) => day.used)).toEqual([3, 0, 5]);
      const dates = (answer.body.items as Array<{ date: string }>).map((day) => day.date);
      expect([...dates].sort()).toEqual(dates);

      const rotated = await admin$('POST', `/${created.id}/rotate`, { graceSeconds: 60 });
      const successor = await admin$('GET', `/${rotated.body.id}/usage?days=3`);
      expect(successor.body.total).toBe(8);
      const byDefault = await admin$('GET', `/${created.id}/usage`);
      expect(byDefault.body.items).toHaveLength(30);
    });

    it('should refuse days out of 1..366 and answer 404 for an unknown key', async () => {
      const created = await create({ name: 'u', tier: 'pro' });
      for (const days of ['0', '367', 'many']) {
        expect((await admin$('GET', `/${created.id}/usage?days=${days}`)).status).toBe(400);
      }
      expect((await admin$('GET', '/zzzzzzzzzzzz/usage')).status).toBe(404);
    });
  });

  describe('scopes and last use', () => {
    it('should answer 403 forbidden to an ocr-only key on every admin endpoint', async () => {
      const ocrOnly = await create({ name: 'ocr only', tier: 'pro' });
      for (const [method, path] of [
        ['GET', ''],
        ['POST', ''],
        ['GET', `/${ocrOnly.id}`],
        ['PATCH', `/${ocrOnly.id}`],
        ['POST', `/${ocrOnly.id}/rotate`],
        ['DELETE', `/${ocrOnly.id}`],
        ['GET', `/${ocrOnly.id}/usage`],
      ]) {
        const answer = await call(gateway.url, method, `/admin/v1/keys${path}`, {
          key: ocrOnly.key,
          body: method === 'GET' ? undefined : {},
        });
        expect([method, path, answer.status, answer.body.error.code]).toEqual([
          method,
          path,
          403,
          'forbidden',
        ]);
      }
    });

    it('should record the last use without a write per request', async () => {
      const created = await create({ name: 'used', tier: 'pro' });
      expect((await admin$('GET', `/${created.id}`)).body.lastUsedAt).toBeNull();
      const before = Date.now();
      await works(created.key);
      await works(created.key);
      let lastUsedAt: string | null = null;
      for (let i = 0; i < 20 && lastUsedAt === null; i++) {
        await sleep(100);
        lastUsedAt = (await admin$('GET', `/${created.id}`)).body.lastUsedAt as string | null;
      }
      expect(Date.parse(lastUsedAt as string)).toBeGreaterThanOrEqual(before - 1000);
    });
  });

  describe('keys CLI', () => {
    it('should create a key, printing only the key, that the running gateway accepts', async () => {
      const result = await runKeysCli(db.url, [
        'create',
        '--name',
        'from cli',
        '--tier',
        'pro',
        '--daily-limit',
        '9',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^ocr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}\n$/);
      const key = result.stdout.trim();
      expect((await call(gateway.url, 'GET', '/api/v1/usage', { key })).body.limit).toBe(9);
    });

    it('should list keys as a table without secrets', async () => {
      const created = await create({ name: 'table row', tier: 'free' });
      const result = await runKeysCli(db.url, ['list']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^ID\s+NAME\s+TIER/);
      expect(result.stdout).toContain(created.id);
      expect(result.stdout).toContain('table row');
      expect(result.stdout).not.toContain(created.key);
      expect(result.stdout).not.toContain('$2b$');
    });

    it('should revoke a key so that the running gateway refuses it on the next request', async () => {
      const created = await create({ name: 'cli revoke', tier: 'pro' });
      expect(await works(created.key)).toBe(true);
      const result = await runKeysCli(db.url, ['revoke', created.id]);
      expect(result.code).toBe(0);
      expect(await works(created.key)).toBe(false);
    });

    it('should disable, enable and rotate a key for the running gateway, and show its usage', async () => {
      const created = await create({ name: 'cli lifecycle', tier: 'pro' });
      expect(await works(created.key)).toBe(true);
      expect((await runKeysCli(db.url, ['disable', created.id])).stdout).toBe(
        `Disabled key ${created.id}.\n`,
      );
      expect(await works(created.key)).toBe(false);
      expect((await runKeysCli(db.url, ['enable', created.id])).code).toBe(0);
      expect(await works(created.key)).toBe(true);

      const rotated = await runKeysCli(db.url, ['rotate', created.id, '--grace-seconds', '0']);
      expect(rotated.code).toBe(0);
      expect(rotated.stdout).toMatch(/^ocr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}\n$/);
      expect(await works(created.key)).toBe(false);
      const successor = rotated.stdout.trim();
      expect(await works(successor)).toBe(true);

      const usage = await runKeysCli(db.url, ['usage', idOf(successor), '--days', '2']);
      expect(usage.code).toBe(0);
      const today = new Date().toISOString().slice(0, 10);
      expect(usage.stdout).toMatch(
        new RegExp(`^DATE\\s+USED\n\\d{4}-\\d{2}-\\d{2}\\s+0\n${today}\\s+0\ntotal\\s+0\n$`),
      );
    });

    it.each([
      [['rotate', 'abcdefgh1234', '--grace-seconds', '2592001'], /graceSeconds must not be greater than/],
      [['create', '--name', 'x', '--tier', 'gold'], /tier must be one of/],
      [['create', '--name', 'x'], /--name and --tier/],
      [['revoke', 'zzzzzzzzzzzz'], /No API key with this id/],
      [['explode'], /Unknown command/],
    ])('should report %j on stderr with a non-zero exit and nothing on stdout', async (args, message) => {
      const result = await runKeysCli(db.url, args);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
    });
  });

  describe('bootstrap admin key', () => {
    it('should create exactly one admin key when two processes start on an empty database at once', async () => {
      const empty = await createTestDatabase();
      try {
        await migrate(empty.url);
        // A file, not \`node -e\`: TypeORM needs a main module to find the app root.
        const script = join(mkdtempSync(join(tmpdir(), 'keys-bootstrap-')), 'bootstrap.js');
        writeFileSync(
          script,
          `require(${JSON.stringify(built('src', 'cli', 'keys-context.js'))})
            .ensureBootstrapAdminKey(require(${JSON.stringify(built('src', 'config', 'index.js'))}).loadConfig())
            .then((key) => process.stdout.write(String(key)));`,
        );
        const runs = await Promise.all([1, 2].map(() => runNode(script, [], { DATABASE_URL: empty.url })));
        const keys = runs.map((run) => run.stdout);
        expect(runs.map((run) => run.code)).toEqual([0, 0]);
        expect(keys.filter((key) => KEY_FORMAT.test(key))).toHaveLength(1);
        expect(keys.filter((key) => key === 'null')).toHaveLength(1);
        const again = await runNode(script, [], { DATABASE_URL: empty.url });
        expect(again.stdout).toBe('null');
        const check = new Client({ connectionString: empty.url });
        await check.connect();
        const { rows } = await check.query<{ tier: string; scopes: string[] }>(
          'SELECT tier, scopes FROM api_keys',
        );
        await check.end();
        expect(rows).toEqual([{ tier: 'enterprise', scopes: ['ocr', 'admin'] }]);
      } finally {
        await empty.drop();
      }
    });
  });
});
