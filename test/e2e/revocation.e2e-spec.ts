import { Client } from 'pg';
import { createTestDatabase } from '../support/database';
import { call, createAdminKeyWithCli, runKeysCli, sleep } from '../support/keys';
import { migrate, startGateway, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(180_000);

/**
 * Two gateway processes on one database, each caching verified keys for ten minutes: a change
 * made through one (or the CLI) must reach the other's cache before its next request.
 */
describe('cross-process revocation (two real gateways, one Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pg: Client;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let admin: string;

  const usage = (gateway: GatewayProcess, key: string) => call(gateway.url, 'GET', '/api/v1/usage', { key });
  const works = async (gateway: GatewayProcess, key: string): Promise<boolean> =>
    (await usage(gateway, key)).status === 200;

  async function create(): Promise<{ id: string; key: string }> {
    const answer = await call(a.url, 'POST', '/admin/v1/keys', {
      key: admin,
      body: { name: 'shared', tier: 'pro' },
    });
    expect(answer.status).toBe(201);
    return answer.body as { id: string; key: string };
  }

  /** A key that both gateways have verified, and so cached. */
  async function cachedOnBoth(): Promise<{ id: string; key: string }> {
    const created = await create();
    expect(await works(a, created.key)).toBe(true);
    expect(await works(b, created.key)).toBe(true);
    return created;
  }

  async function listenerPid(gateway: GatewayProcess): Promise<number | undefined> {
    const { rows } = await pg.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [`secure-ocr-gateway key-change listener (pid ${gateway.child.pid})`],
    );
    return rows[0]?.pid;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    admin = await createAdminKeyWithCli(db.url);
    const env = {
      IP_RATE_LIMIT_RPS: '0',
      METRICS_ENABLED: 'false',
      KEY_CACHE_TTL_MS: '600000',
      BCRYPT_COST: '4',
    };
    [a, b] = await Promise.all([
      startGateway({ databaseUrl: db.url, env }),
      startGateway({ databaseUrl: db.url, env }),
    ]);
  });

  afterAll(async () => {
    await stopAll();
    await pg?.end();
    await db?.drop();
  });

  it('should serve a cached key even after a change made behind its back (so the refusals below come from invalidation)', async () => {
    const { id, key } = await cachedOnBoth();
    await pg.query('UPDATE api_keys SET enabled = false WHERE id = $1', [id]);
    expect(await works(b, key)).toBe(true);
  });

  it('should refuse a key on the other gateway at the next request once it is revoked through one', async () => {
    const { id, key } = await cachedOnBoth();
    expect((await call(a.url, 'DELETE', `/admin/v1/keys/${id}`, { key: admin })).status).toBe(204);
    expect(await works(b, key)).toBe(false);
    expect(await works(a, key)).toBe(false);
  });

  it('should refuse a key on the other gateway once it is disabled through one', async () => {
    const { id, key } = await cachedOnBoth();
    const patched = await call(b.url, 'PATCH', `/admin/v1/keys/${id}`, {
      key: admin,
      body: { enabled: false },
    });
    expect(patched.status).toBe(200);
    expect(await works(a, key)).toBe(false);
  });

  it('should refuse a rotated key on the other gateway at once without a grace', async () => {
    const { id, key } = await cachedOnBoth();
    const rotated = await call(a.url, 'POST', `/admin/v1/keys/${id}/rotate`, {
      key: admin,
      body: { graceSeconds: 0 },
    });
    expect(rotated.status).toBe(201);
    expect(await works(b, key)).toBe(false);
    expect(await works(b, rotated.body.key as string)).toBe(true);
  });

  it('should apply a changed daily limit on the other gateway at the next request', async () => {
    const { id, key } = await cachedOnBoth();
    await call(a.url, 'PATCH', `/admin/v1/keys/${id}`, { key: admin, body: { dailyLimit: 11 } });
    expect((await usage(b, key)).body.limit).toBe(11);
  });

  it('should refuse a key on both gateways once the CLI revoked it', async () => {
    const { id, key } = await cachedOnBoth();
    expect((await runKeysCli(db.url, ['revoke', id])).code).toBe(0);
    expect(await works(a, key)).toBe(false);
    expect(await works(b, key)).toBe(false);
  });

  it('should accept a changed key in 0 of 50 tries on the other gateway once the admin call has returned', async () => {
    let accepted = 0;
    for (let i = 0; i < 50; i++) {
      const { id, key } = await cachedOnBoth();
      // Revoke through one, disable through the other, now and then through the CLI.
      const [changer, other] = i % 2 === 0 ? [a, b] : [b, a];
      if (i % 10 === 9) {
        expect((await runKeysCli(db.url, ['revoke', id])).code).toBe(0);
      } else if (i % 3 === 0) {
        const patched = await call(changer.url, 'PATCH', `/admin/v1/keys/${id}`, {
          key: admin,
          body: { enabled: false },
        });
        expect(patched.status).toBe(200);
      } else {
        expect((await call(changer.url, 'DELETE', `/admin/v1/keys/${id}`, { key: admin })).status).toBe(204);
      }
      const tries = await Promise.all([works(other, key), works(other, key), works(changer, key)]);
      accepted += tries.filter(Boolean).length;
    }
    process.stdout.write(`[revocation] accepted after the change returned: ${accepted} of 150 requests (50 changes)\n`);
    expect(accepted).toBe(0);
  });

  it('should not let a frozen gateway hold a revocation up, nor serve the key from its cache when it wakes', async () => {
    const { id, key } = await cachedOnBoth();
    b.child.kill('SIGSTOP');
    let revokedMs: number;
    try {
      const started = performance.now();
      expect((await call(a.url, 'DELETE', `/admin/v1/keys/${id}`, { key: admin })).status).toBe(204);
      revokedMs = performance.now() - started;
    } finally {
      b.child.kill('SIGCONT');
    }
    // KEY_CHANGE_CONFIRM_TIMEOUT_MS (2 s) at most, with room for a loaded machine.
    expect(revokedMs).toBeGreaterThan(1500);
    expect(revokedMs).toBeLessThan(6000);
    expect(await works(b, key)).toBe(false);
  });

  it('should return from a change at once when every gateway confirms it', async () => {
    const { id } = await cachedOnBoth();
    const started = performance.now();
    expect((await call(a.url, 'DELETE', `/admin/v1/keys/${id}`, { key: admin })).status).toBe(204);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('should reconnect its listener after losing it, forgetting every cached key since notifications may have been missed', async () => {
    const { id, key } = await cachedOnBoth();
    // A change whose notification B never gets: B still serves the key from its cache.
    await pg.query('UPDATE api_keys SET enabled = false WHERE id = $1', [id]);
    expect(await works(b, key)).toBe(true);

    const before = await listenerPid(b);
    expect(before).toBeDefined();
    await pg.query('SELECT pg_terminate_backend($1)', [before]);
    let after: number | undefined;
    for (let i = 0; i < 100 && (after === undefined || after === before); i++) {
      await sleep(100);
      after = await listenerPid(b);
    }
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    expect(await works(b, key)).toBe(false);
    // And invalidation works again on the new connection.
    const next = await cachedOnBoth();
    await call(a.url, 'DELETE', `/admin/v1/keys/${next.id}`, { key: admin });
    expect(await works(b, next.key)).toBe(false);
  });
});
