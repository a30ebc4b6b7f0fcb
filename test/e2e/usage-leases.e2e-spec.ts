import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/database';
import {
  expectError,
  insertKey,
  openDatabase,
  postJson,
  renderPng,
  svgPage,
  usedToday,
  type OcrAnswer,
  type TestKey,
} from '../support/ocr';
import { startGateway, startWorker, stopAll, type GatewayProcess } from '../support/processes';

// A real worker recognises on a shared 2-core machine: seconds, not milliseconds.
jest.setTimeout(180_000);

const TIERS = JSON.stringify({
  test: { rps: 1000, burst: 1000, daily: 100_000 },
  slow: { rps: 0.05, burst: 1, daily: 1000 },
});
const b64 = (bytes: Buffer): string => bytes.toString('base64');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds; fails after `timeoutMs` with what it saw last. */
async function waitFor<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!check(last)) {
    if (Date.now() > deadline) {
      throw new Error(`still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    }
    await sleep(50);
    last = await read();
  }
  return last;
}

/**
 * Usage accounting with leases, on compiled gateways, a real worker and real Postgres: a unit is
 * charged once the answer has been sent, given back when the OCR fails or the client leaves first,
 * and the lease of a request nobody settled is given back after its expiry. Every answer to an
 * authenticated request carries the rate-limit headers, telling the quota after its own units.
 */
describe('usage leases (real gateways, worker and Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  /** A real worker with one lane, a lease sweep every 200 ms. */
  let gateway: GatewayProcess;
  /**
   * No worker behind it, alone on a database of its own, and sweeping only once an hour: there,
   * expired leases are given back on a refusal or not at all.
   */
  let orphan: GatewayProcess;
  let orphanDb: { url: string; drop: () => Promise<void> };
  let orphanData: DataSource;
  let invoice: Buffer;
  let page: Buffer;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    orphanDb = await createTestDatabase();
    orphanData = await openDatabase(orphanDb.url);
    invoice = await renderPng(['INVOICE 2024', 'TOTAL 12.50']);
    const lines = Array.from(
      { length: 14 },
      (_, i) => `Line ${i + 1} of the report: value ${(i * 7.25).toFixed(2)}`,
    );
    page = await sharp(svgPage(lines, 1100, 48, 28))
      .png()
      .toBuffer();
    const worker = await startWorker({ env: { OCR_LANES: '1' }, timeoutMs: 120_000 });
    const env = { TIERS, IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false', RESULT_CACHE_MAX_BYTES: '0' };
    [gateway, orphan] = await Promise.all([
      startGateway({
        databaseUrl: db.url,
        workerPort: worker.port,
        env: { ...env, USAGE_LEASE_SWEEP_MS: '200' },
        timeoutMs: 90_000,
      }),
      startGateway({
        databaseUrl: orphanDb.url,
        env: { ...env, USAGE_LEASE_SWEEP_MS: '3600000' },
        timeoutMs: 90_000,
      }),
    ]);
  });

  afterAll(async () => {
    await stopAll();
    await Promise.all([dataSource?.destroy(), orphanData?.destroy()]);
    await Promise.all([db?.drop(), orphanDb?.drop()]);
  });

  const leasesOf = async (key: TestKey, source: DataSource = dataSource): Promise<number> => {
    const rows = await source.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM usage_leases WHERE lineage_id = $1`,
      [key.id],
    );
    return rows[0].count;
  };

  /** The `daily` item of the RateLimit field: units left. */
  const dailyLeft = (answer: OcrAnswer): number =>
    Number(/"daily";r=(\d+);t=\d+/.exec(answer.headers.get('ratelimit') ?? '')?.[1]);

  function expectRateLimitHeaders(answer: OcrAnswer, dailyLimit: number): void {
    expect(answer.headers.get('ratelimit-policy')).toMatch(
      new RegExp(`^"rate";q=\\d+;w=\\d+, "daily";q=${dailyLimit};w=86400$`),
    );
    expect(answer.headers.get('ratelimit')).toMatch(/^"rate";r=\d+;t=\d+, "daily";r=\d+;t=\d+$/);
    for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      expect(answer.headers.get(name)).toMatch(/^\d+$/);
    }
  }

  it('should charge a delivered result: its lease is settled and the unit stays counted', async () => {
    const key = await insertKey(dataSource, { dailyLimit: 10 });
    const answer = await postJson(gateway.url, key, { image: b64(invoice) });
    expect(answer.status).toBe(200);
    expectRateLimitHeaders(answer, 10);
    expect(dailyLeft(answer)).toBe(9);
    await waitFor(
      () => leasesOf(key),
      (leases) => leases === 0,
    );
    expect(await usedToday(dataSource, key.id)).toBe(1);
  });

  it('should not charge a client that disconnects before the answer is sent', async () => {
    const busy = await insertKey(dataSource);
    const key = await insertKey(dataSource);
    // Two large pages ahead of it on the worker's only lane keep the request waiting.
    const fillers = [
      postJson(gateway.url, busy, { image: b64(page) }),
      postJson(gateway.url, busy, { image: b64(page) }),
    ];
    await waitFor(
      () => leasesOf(busy),
      (leases) => leases === 2,
    );
    const client = httpRequest(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
    });
    let answered = false;
    client.on('response', () => (answered = true));
    client.on('error', () => undefined);
    client.end(JSON.stringify({ image: b64(invoice) }));
    await waitFor(
      () => leasesOf(key),
      (leases) => leases === 1,
    );
    expect(await usedToday(dataSource, key.id)).toBe(1);
    client.destroy();

    await waitFor(
      () => usedToday(dataSource, key.id),
      (used) => used === 0,
    );
    expect(answered).toBe(false);
    expect((await Promise.all(fillers)).map((filler) => filler.status)).toEqual([200, 200]);
    // The abandoned job ran (or was dropped) meanwhile: nothing came of it on the bill.
    await waitFor(
      () => leasesOf(key),
      (leases) => leases === 0,
    );
    expect(await usedToday(dataSource, key.id)).toBe(0);
    await waitFor(
      () => usedToday(dataSource, busy.id),
      (used) => used === 2,
    );
  });

  it('should give the unit back at once when the OCR fails, and say so in the headers of the 503', async () => {
    const key = await insertKey(orphanData, { dailyLimit: 10 });
    const answer = await postJson(orphan.url, key, { image: b64(invoice) });
    expectError(answer, 503, 'worker_unavailable');
    expectRateLimitHeaders(answer, 10);
    expect(dailyLeft(answer)).toBe(10);
    expect(await usedToday(orphanData, key.id)).toBe(0);
    await waitFor(
      () => leasesOf(key, orphanData),
      (leases) => leases === 0,
    );
  });

  it('should charge only the items of a batch that produced a result', async () => {
    const key = await insertKey(dataSource, { dailyLimit: 10 });
    const answer = await postJson(
      gateway.url,
      key,
      {
        images: [
          { image: b64(invoice) },
          { image: b64(Buffer.from('not an image at all')) },
          { image: b64(invoice) },
        ],
      },
      '/api/v1/ocr/batch',
    );
    expect(answer.status).toBe(200);
    expect(
      (answer.body as { results: Array<{ error?: unknown }> }).results.map((r) => r.error === undefined),
    ).toEqual([true, false, true]);
    expect(dailyLeft(answer)).toBe(8);
    await waitFor(
      () => leasesOf(key),
      (leases) => leases === 0,
    );
    expect(await usedToday(dataSource, key.id)).toBe(2);
  });

  it('should carry the headers on 403: a key without the ocr scope costs nothing', async () => {
    const admin = await insertKey(dataSource, { scopes: ['admin'], dailyLimit: 7 });
    const answer = await postJson(gateway.url, admin, { image: b64(invoice) });
    expectError(answer, 403, 'forbidden');
    expectRateLimitHeaders(answer, 7);
    expect(dailyLeft(answer)).toBe(7);
    expect(await usedToday(dataSource, admin.id)).toBe(0);
  });

  it('should carry the headers and Retry-After on 429 quota_exceeded', async () => {
    const key = await insertKey(dataSource, { dailyLimit: 1 });
    expect((await postJson(gateway.url, key, { image: b64(invoice) })).status).toBe(200);
    const refused = await postJson(gateway.url, key, { image: b64(invoice) });
    expectError(refused, 429, 'quota_exceeded');
    expectRateLimitHeaders(refused, 1);
    expect(dailyLeft(refused)).toBe(0);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await usedToday(dataSource, key.id)).toBe(1);
  });

  it('should carry the headers and Retry-After on 429 rate_limited', async () => {
    const key = await insertKey(dataSource, { tier: 'slow' });
    expect((await postJson(gateway.url, key, { image: 'not base64!' })).status).toBe(400);
    const limited = await postJson(gateway.url, key, { image: b64(invoice) });
    expectError(limited, 429, 'rate_limited');
    expectRateLimitHeaders(limited, 1000);
    expect(limited.headers.get('ratelimit')).toMatch(/^"rate";r=0;/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  /** Units counted under a lease that expired a minute ago: what a gateway killed mid-request leaves. */
  async function orphanedLease(key: TestKey, units: number, source: DataSource = dataSource): Promise<void> {
    await source.query(
      `WITH counted AS (
         INSERT INTO daily_usage (lineage_id, day, used) VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2)
         RETURNING lineage_id, day
       )
       INSERT INTO usage_leases (lineage_id, day, units, expires_at)
       SELECT lineage_id, day, $2, now() - interval '1 minute' FROM counted`,
      [key.id, units],
    );
  }

  it("should give back a dead gateway's expired lease in the next sweep", async () => {
    const key = await insertKey(dataSource);
    await orphanedLease(key, 3);
    await waitFor(
      () => usedToday(dataSource, key.id),
      (used) => used === 0,
      30_000,
    );
    expect(await leasesOf(key)).toBe(0);
  });

  it('should reclaim expired leases that stand in the way of a reservation, without waiting for a sweep', async () => {
    const key = await insertKey(orphanData, { dailyLimit: 2 });
    await orphanedLease(key, 2, orphanData);
    const answer = await postJson(orphan.url, key, { image: b64(invoice) });
    // Admitted (the worker is missing behind this gateway), not refused for the quota.
    expectError(answer, 503, 'worker_unavailable');
    expect(dailyLeft(answer)).toBe(2);
    expect(await usedToday(orphanData, key.id)).toBe(0);
    await waitFor(
      () => leasesOf(key, orphanData),
      (leases) => leases === 0,
    );
  });
});
