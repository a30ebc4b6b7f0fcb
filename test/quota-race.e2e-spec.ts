import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DailyUsageRepository } from '../src/usage/daily-usage.repository';
import { createTestDatabase } from './support/database';
import { built, ROOT } from './support/paths';

// Real processes and databases: jest's per-project testTimeout is not applied, so set it here.
jest.setTimeout(120_000);

/**
 * The daily quota's check-and-count against a real PostgreSQL server: concurrent reservations on
 * many connections, and from two separate processes on one database, never overrun the limit.
 * (Through HTTP the same race runs once `POST /api/v1/ocr` exists: see the OCR specs.)
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

  const lineage = (): string => `lin_${randomBytes(6).toString('hex')}`;
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
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => repository.reserve(id, 1, 10)));
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(10);
    expect(outcomes.filter((o) => !o.admitted)).toHaveLength(20);
    expect(
      outcomes
        .filter((o) => o.admitted)
        .map((o) => o.used)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await storedUsed(id)).toBe(10);
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
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => repository.reserve(id, 3, 10)));
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(3);
    expect(await storedUsed(id)).toBe(9);
    await expect(repository.reserve(id, 1, 10)).resolves.toMatchObject({ admitted: true, used: 10 });
  });

  it('should insert nothing when a first reservation is larger than the limit', async () => {
    const id = lineage();
    await expect(repository.reserve(id, 11, 10)).resolves.toMatchObject({ admitted: false, used: 0 });
    expect(await storedUsed(id)).toBeNull();
    await expect(repository.reserve(id, 1, 0)).resolves.toMatchObject({ admitted: false });
  });

  it('should make refunded units available again to concurrent reservations', async () => {
    const id = lineage();
    await Promise.all(Array.from({ length: 10 }, () => repository.reserve(id, 1, 10)));
    const today = (await repository.usedOn(id)).date;
    await expect(repository.refund(id, today, 3)).resolves.toBe(7);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => repository.reserve(id, 1, 10)));
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(3);
    expect(await storedUsed(id)).toBe(10);
  });

  it('should refund to the day of the reservation and never below zero', async () => {
    const id = lineage();
    const yesterday = await dayOffset(dataSource, -1);
    await dataSource.query(`INSERT INTO daily_usage (lineage_id, day, used) VALUES ($1, $2::date, 4)`, [
      id,
      yesterday,
    ]);
    await repository.reserve(id, 2, 10);
    await expect(repository.refund(id, yesterday, 1)).resolves.toBe(3);
    await expect(repository.refund(id, yesterday, 99)).resolves.toBe(0);
    expect(await storedUsed(id)).toBe(2);
    await expect(repository.refund(lineage(), yesterday, 1)).resolves.toBe(0);
  });

  it('should report a zero-filled history of the last N days, oldest first, ending today', async () => {
    const id = lineage();
    const threeDaysAgo = await dayOffset(dataSource, -3);
    await dataSource.query(`INSERT INTO daily_usage (lineage_id, day, used) VALUES ($1, $2::date, 7)`, [
      id,
      threeDaysAgo,
    ]);
    await repository.reserve(id, 2, 10);
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
      const outcomes = await Promise.all(Array.from({ length: ${count} }, () => repo.reserve(${JSON.stringify(lineageId)}, 1, ${limit})));
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
