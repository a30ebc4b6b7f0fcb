import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DailyUsageRepository, type ReserveOutcome } from '../../src/usage/daily-usage.repository';
import { createTestDatabase } from '../support/database';
import { built, ROOT } from '../support/paths';

// Real processes and databases: jest's per-project testTimeout is not applied, so set it here.
jest.setTimeout(120_000);

/**
 * The daily quota's check-and-count and its leases against a real PostgreSQL server: concurrent
 * reservations on many connections, and from two separate processes on one database, never
 * overrun the limit; a lease is settled or given back exactly once, whoever races for it.
 * (Through HTTP the same race runs in the OCR specs.)
 */
describe('quota race (real Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let repository: DailyUsageRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({
      type: 'postgres',
      url: db.url,
      migrations: [built('migrations', '*.js')],
      extra: { max: 30 },
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    repository = new DailyUsageRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const LEASE_MS = 60_000;
  const lineage = (): string => `lin_${randomBytes(6).toString('hex')}`;
  const leasesOf = async (lineageId: string): Promise<Array<{ id: string; units: number }>> =>
    dataSource.query(`SELECT id::text AS id, units FROM usage_leases WHERE lineage_id = $1 ORDER BY id`, [
      lineageId,
    ]);
  const leaseIdsOf = (outcomes: ReserveOutcome[]): string[] =>
    outcomes.flatMap((outcome) => (outcome.admitted ? [outcome.leaseId] : []));
  const storedUsed = async (lineageId: string): Promise<number | null> => {
    const rows = await dataSource.query<Array<{ used: number }>>(
      `SELECT used FROM daily_usage WHERE lineage_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
      [lineageId],
    );
    return rows[0]?.used ?? null;
  };

  it('should admit exactly 10 of 30 concurrent reservations against a limit of 10', async () => {
    const id = lineage();
    await warmPool(dataSource, 30);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () => repository.reserve(id, 1, 10, LEASE_MS)),
    );
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(10);
    expect(outcomes.filter((o) => !o.admitted)).toHaveLength(20);
    expect(
      outcomes
        .filter((o) => o.admitted)
        .map((o) => o.used)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await storedUsed(id)).toBe(10);
    expect((await leasesOf(id)).map((lease) => lease.id).sort()).toEqual(leaseIdsOf(outcomes).sort());
  });

  it('should admit exactly 10 of 30 reservations split across two processes on one database', async () => {
    const id = lineage();
    const startAt = Date.now() + 3000;
    const [first, second] = await Promise.all([
      reserveInChild(db.url, id, 15, 10, startAt),
      reserveInChild(db.url, id, 15, 10, startAt),
    ]);
    expect(first).toHaveLength(15);
    expect(second).toHaveLength(15);
    expect([...first, ...second].filter(Boolean)).toHaveLength(10);
    expect(await storedUsed(id)).toBe(10);
  });

  it('should admit whole batches only, never a part of one', async () => {
    const id = lineage();
    // 12 concurrent batches of 3 against 10: at most three fit (9), and nothing is counted partly.
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => repository.reserve(id, 3, 10, LEASE_MS)),
    );
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(3);
    expect(await storedUsed(id)).toBe(9);
    await expect(repository.reserve(id, 1, 10, LEASE_MS)).resolves.toMatchObject({
      admitted: true,
      used: 10,
    });
  });

  it('should insert nothing when a first reservation is larger than the limit', async () => {
    const id = lineage();
    await expect(repository.reserve(id, 11, 10, LEASE_MS)).resolves.toMatchObject({
      admitted: false,
      used: 0,
    });
    expect(await storedUsed(id)).toBeNull();
    await expect(repository.reserve(id, 1, 0, LEASE_MS)).resolves.toMatchObject({ admitted: false });
    expect(await leasesOf(id)).toEqual([]);
  });

  it('should make refunded units available again to concurrent reservations', async () => {
    const id = lineage();
    const first = await Promise.all(
      Array.from({ length: 10 }, () => repository.reserve(id, 1, 10, LEASE_MS)),
    );
    const refunded = await Promise.all(
      leaseIdsOf(first)
        .slice(0, 3)
        .map((lease) => repository.refund(lease, 1)),
    );
    expect(refunded.sort((a, b) => Number(a) - Number(b))).toEqual([7, 8, 9]);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => repository.reserve(id, 1, 10, LEASE_MS)),
    );
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(3);
    expect(await storedUsed(id)).toBe(10);
  });

  it('should refund a lease to the day it was counted on, at most the units it still holds', async () => {
    const id = lineage();
    const yesterday = await dayOffset(dataSource, -1);
    await dataSource.query(`INSERT INTO daily_usage (lineage_id, day, used) VALUES ($1, $2::date, 4)`, [
      id,
      yesterday,
    ]);
    const [{ id: lease }] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO usage_leases (lineage_id, day, units, expires_at) VALUES ($1, $2::date, 3, now() + interval '1 minute')
       RETURNING id::text AS id`,
      [id, yesterday],
    );
    await repository.reserve(id, 2, 10, LEASE_MS);
    await expect(repository.refund(lease, 1)).resolves.toBe(3);
    await expect(repository.refund(lease, 3)).resolves.toBeUndefined();
    await expect(repository.refund(lease, 2)).resolves.toBe(1);
    expect(await storedUsed(id)).toBe(2);
    await expect(repository.refund('999999999', 1)).resolves.toBeUndefined();
  });

  it('should never give back more than a lease holds when its refunds race', async () => {
    const id = lineage();
    const outcome = await repository.reserve(id, 5, 10, LEASE_MS);
    const lease = leaseIdsOf([outcome])[0];
    const answers = await Promise.all(Array.from({ length: 12 }, () => repository.refund(lease, 1)));
    expect(answers.filter((used) => used !== undefined)).toHaveLength(5);
    expect(await storedUsed(id)).toBe(0);
    expect(await leasesOf(id)).toEqual([{ id: lease, units: 0 }]);
  });

  it('should settle leases by deleting them, keeping the units delivered and giving back the rest', async () => {
    const id = lineage();
    const outcomes = await Promise.all(
      Array.from({ length: 3 }, () => repository.reserve(id, 2, 10, LEASE_MS)),
    );
    const [partly, whole, kept] = leaseIdsOf(outcomes);
    await repository.refund(partly, 1);
    const settled = await repository.settle([
      { id: partly, keep: 1 },
      { id: whole, keep: 0 }, // a client that left, or a refund that never reached the database
      { id: '999999999', keep: 1 },
    ]);
    expect(settled.sort()).toEqual([partly, whole].sort());
    expect(await repository.settle([{ id: whole, keep: 0 }])).toEqual([]);
    expect(await storedUsed(id)).toBe(3);
    expect((await leasesOf(id)).map((lease) => lease.id)).toEqual([kept]);
  });

  it('should settle or give back a lease exactly once when settlements and sweeps race for it', async () => {
    const id = lineage();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => repository.reserve(id, 1, 100, 1)));
    await dataSource.query('SELECT pg_sleep(0.01)');
    const leases = leaseIdsOf(outcomes);
    await warmPool(dataSource, 30);
    const [charges, releases, sweeps] = await Promise.all([
      Promise.all(leases.map((lease) => repository.settle([{ id: lease, keep: 1 }]))),
      Promise.all([
        ...leases.map((lease) => repository.settle([{ id: lease, keep: 0 }])),
        repository.settle(leases.map((lease) => ({ id: lease, keep: 0 }))),
      ]),
      Promise.all([
        ...Array.from({ length: 8 }, () => repository.releaseExpired({ lineageId: id, batch: 5 })),
        repository.releaseExpired(),
      ]),
    ]);
    const charged = charges.flat();
    const released = releases.flat();
    const swept = sweeps.flat().reduce((sum, day) => sum + day.leases, 0);
    expect(new Set([...charged, ...released]).size).toBe(charged.length + released.length);
    expect(charged.length + released.length + swept).toBe(20);
    expect(await storedUsed(id)).toBe(charged.length);
    expect(await leasesOf(id)).toEqual([]);
  });

  it('should sweep only leases past their expiry', async () => {
    const id = lineage();
    const live = await repository.reserve(id, 2, 10, LEASE_MS);
    await repository.reserve(id, 3, 10, 1);
    await dataSource.query('SELECT pg_sleep(0.01)');
    await expect(repository.releaseExpired({ lineageId: id })).resolves.toEqual([
      { lineageId: id, day: (await repository.usedOn(id)).date, leases: 1, units: 3, used: 2 },
    ]);
    await expect(repository.releaseExpired({ lineageId: id })).resolves.toEqual([]);
    expect((await leasesOf(id)).map((lease) => lease.id)).toEqual(leaseIdsOf([live]));
  });

  it("should take a day's leases with it when its usage row is deleted by hand", async () => {
    const id = lineage();
    const outcome = await repository.reserve(id, 2, 10, LEASE_MS);
    await dataSource.query(`DELETE FROM daily_usage WHERE lineage_id = $1`, [id]);
    expect(await leasesOf(id)).toEqual([]);
    await expect(repository.settle([{ id: leaseIdsOf([outcome])[0], keep: 0 }])).resolves.toEqual([]);
    expect(await storedUsed(id)).toBeNull();
  });

  it("should read today's usage of many lineages asked for at once in one statement, each its own", async () => {
    const [busy, idle, other] = [lineage(), lineage(), lineage()];
    await repository.reserve(busy, 4, 10, LEASE_MS);
    await repository.reserve(other, 1, 10, LEASE_MS);
    const today = (await repository.usedOn(busy)).date;
    const statements = jest.spyOn(dataSource, 'query');
    const reads = await Promise.all([busy, idle, other, busy].map((id) => repository.usedToday(id)));
    expect(statements).toHaveBeenCalledTimes(1);
    statements.mockRestore();
    expect(reads).toEqual([
      { date: today, used: 4 },
      { date: today, used: 0 },
      { date: today, used: 1 },
      { date: today, used: 4 },
    ]);
    // A read asked for after a write returns sees it.
    await repository.reserve(idle, 2, 10, LEASE_MS);
    await expect(repository.usedToday(idle)).resolves.toEqual({ date: today, used: 2 });
  });

  it('should report a zero-filled history of the last N days, oldest first, ending today', async () => {
    const id = lineage();
    const threeDaysAgo = await dayOffset(dataSource, -3);
    await dataSource.query(`INSERT INTO daily_usage (lineage_id, day, used) VALUES ($1, $2::date, 7)`, [
      id,
      threeDaysAgo,
    ]);
    await repository.reserve(id, 2, 10, LEASE_MS);
    const history = await repository.history(id, 5);
    expect(history).toHaveLength(5);
    expect(history.map((d) => d.used)).toEqual([0, 7, 0, 0, 2]);
    expect(history[1].date).toBe(threeDaysAgo);
    expect(history[4].date).toBe((await repository.usedOn(id)).date);
    await expect(repository.history(id, 1)).resolves.toEqual([history[4]]);
  });
});

/** Opens `size` pooled connections up front so the race is between queries, not connects. */
async function warmPool(dataSource: DataSource, size: number): Promise<void> {
  await Promise.all(Array.from({ length: size }, () => dataSource.query('SELECT pg_sleep(0.05)')));
}

async function dayOffset(dataSource: DataSource, days: number): Promise<string> {
  const rows = await dataSource.query<Array<{ day: string }>>(
    `SELECT to_char((now() AT TIME ZONE 'UTC')::date + $1::int, 'YYYY-MM-DD') AS day`,
    [days],
  );
  return rows[0].day;
}

/**
 * A separate Node process with its own connection pool running the compiled repository: it
 * opens its connections, waits for the shared start instant, fires `count` reservations at once
 * and prints which were admitted.
 */
function reserveInChild(
  url: string,
  lineageId: string,
  count: number,
  limit: number,
  startAt: number,
): Promise<boolean[]> {
  const script = `
    const { DataSource } = require('typeorm');
    const { DailyUsageRepository } = require(${JSON.stringify(built('src', 'usage', 'daily-usage.repository.js'))});
    (async () => {
      const ds = new DataSource({ type: 'postgres', url: process.env.RACE_DB_URL, extra: { max: ${count} } });
      await ds.initialize();
      await Promise.all(Array.from({ length: ${count} }, () => ds.query('SELECT 1')));
      await new Promise((r) => setTimeout(r, Math.max(0, ${startAt} - Date.now())));
      const repo = new DailyUsageRepository(ds);
      const outcomes = await Promise.all(Array.from({ length: ${count} }, () => repo.reserve(${JSON.stringify(lineageId)}, 1, ${limit}, 60000)));
      process.stdout.write(JSON.stringify(outcomes.map((o) => o.admitted)));
      await ds.destroy();
    })().catch((e) => { console.error(e.message); process.exit(1); });
  `;
  // A file, not `node -e`: TypeORM locates the application root from the main module's path.
  const dir = mkdtempSync(join(tmpdir(), 'quota-race-'));
  const file = join(dir, 'race.js');
  writeFileSync(file, script);
  return new Promise<boolean[]>((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      cwd: ROOT,
      env: { ...process.env, RACE_DB_URL: url, NODE_PATH: join(ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as boolean[])
        : reject(new Error(`race child failed (${code}): ${err}`)),
    );
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}
