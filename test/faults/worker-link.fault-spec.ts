import type { DataSource } from 'typeorm';
import sharp from 'sharp';
import { createTestDatabase } from '../support/database';
import { insertKey, openDatabase, postForm, postJson, renderPng, type OcrAnswer } from '../support/ocr';
import { startGateway, startWorker, stopAll, type GatewayProcess, type WorkerProcess } from '../support/processes';

jest.setTimeout(180_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

const TIERS = JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } });
const BASE_ENV = { TIERS, IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false', RESULT_CACHE_MAX_BYTES: '0', LOG_LEVEL: 'debug' };

/** A valid PNG of noise that does not compress: about 14 MB for 2400x2000, within both limits. */
function noisePng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

async function workerHealth(gateway: GatewayProcess): Promise<{ queueDepth?: number; inFlight?: number; status: string }> {
  const response = await fetch(`${gateway.url}/health`);
  const body = (await response.json()) as { checks: { worker: { status: string; queueDepth?: number; inFlight?: number } } };
  return body.checks.worker;
}

/**
 * Issue 8: the gateway↔worker link under large uploads, overload, a frozen worker, clients that
 * leave and a gateway that dies, with a real worker and real gateways.
 */
describe('the link to the worker under faults (real gateway, real worker)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let worker: WorkerProcess;
  let gateway: GatewayProcess;
  let small: string;
  let page: Buffer;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    small = (await renderPng(['RECEIPT 0042', 'TOTAL 12.50'])).toString('base64');
    page = await renderPng(
      Array.from({ length: 14 }, (_, i) => `Line ${i + 1} of the report, amount ${(i * 3.5).toFixed(2)}`),
      1200,
    );
    worker = await startWorker({ env: { OCR_LANES: '2', OCR_INTRA_OP_THREADS: '1' }, timeoutMs: 120_000 });
    gateway = await startGateway({ databaseUrl: db.url, workerPort: worker.port, env: BASE_ENV, timeoutMs: 90_000 });
  });

  afterAll(async () => {
    if (worker?.child.pid && worker.isRunning()) {
      process.kill(worker.child.pid, 'SIGCONT');
    }
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  it("should never fail another client's requests, nor answer worker_unavailable, under 8 concurrent 14 MB uploads", async () => {
    const [uploader, other] = [await insertKey(dataSource), await insertKey(dataSource)];
    const large = await noisePng(2400, 2000);
    expect(large.length).toBeGreaterThan(12 * 1024 * 1024);
    const smallOnes = Array.from({ length: 8 }, () => postJson(gateway.url, other, { image: small }));
    await sleep(300);
    const largeOnes = Array.from({ length: 8 }, () => postForm(gateway.url, uploader, { image: large }));
    const smallAnswers = await Promise.all(smallOnes);
    const largeAnswers = await Promise.all(largeOnes);
    if ([...smallAnswers, ...largeAnswers].some((a) => a.status !== 200 && a.body?.error?.code !== 'worker_overloaded')) {
      process.stdout.write(
        `${JSON.stringify([...smallAnswers, ...largeAnswers].map((a): unknown[] => [a.status, a.ms, a.body?.error as unknown]))}\n` +
          `--- gateway\n${gateway.output().slice(-6000)}\n--- worker\n${worker.output().slice(-6000)}\n`,
      );
    }
    expect(smallAnswers.map((a) => a.status)).toEqual(Array(8).fill(200));
    for (const answer of largeAnswers) {
      // Within the limits: a result, or overload with Retry-After; never a broken link.
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503) {
        expect(answer.body.error.code).toBe('worker_overloaded');
        expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      }
    }
    expect((await postJson(gateway.url, other, { image: small })).status).toBe(200);
  });

  it('should answer overload at the gateway in milliseconds, whatever is queued ahead', async () => {
    const tight = await startGateway({
      databaseUrl: db.url,
      workerPort: worker.port,
      env: { ...BASE_ENV, WORKER_MAX_INFLIGHT_BYTES: String(page.length * 3) },
      timeoutMs: 90_000,
    });
    const key = await insertKey(dataSource);
    const answers: OcrAnswer[] = await Promise.all(
      Array.from({ length: 60 }, () => postForm(tight.url, key, { image: page })),
    );
    const refused = answers.filter((a) => a.status === 503);
    const served = answers.filter((a) => a.status === 200);
    expect(served.length + refused.length).toBe(60);
    expect(served.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThan(30);
    expect(refused.every((a) => a.body.error.code === 'worker_overloaded' && a.headers.get('retry-after'))).toBe(true);
    // Refused before any image is sent: sooner than any recognition, not after the queue ahead of it
    // (what the time to a refusal is made of here is the 60 uploads' intake on a shared machine).
    const refusedMedian = median(refused.map((a) => a.ms));
    expect(refusedMedian).toBeLessThan(Math.min(...served.map((a) => a.ms)));
    process.stdout.write(
      `overload: ${refused.length} refused (median ${refusedMedian} ms), ${served.length} served (median ${median(served.map((a) => a.ms))} ms)\n`,
    );
    await tight.stop();
  });

  it('should drop the queued job of an HTTP client that leaves, before it runs', async () => {
    const key = await insertKey(dataSource);
    // Two lanes busy, then one request that must wait: its client gives up while it is queued.
    const busy = [postForm(gateway.url, key, { image: page }), postForm(gateway.url, key, { image: page })];
    await sleep(300);
    const leaving = new AbortController();
    const form = new FormData();
    form.append('image', new Blob([page]), 'page.png');
    const left = fetch(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'x-api-key': key.plaintext },
      body: form,
      signal: leaving.signal,
    }).catch(() => 'aborted');
    let queued = false;
    for (let i = 0; i < 100 && !queued; i += 1) {
      queued = ((await workerHealth(gateway)).queueDepth ?? 0) >= 1;
      await sleep(20);
    }
    expect(queued).toBe(true);
    leaving.abort();
    await expect(left).resolves.toBe('aborted');
    let health = await workerHealth(gateway);
    for (let i = 0; i < 50 && (health.queueDepth ?? 0) > 0; i += 1) {
      await sleep(20);
      health = await workerHealth(gateway);
    }
    // Out of the queue while both lanes are still on the first two: it never ran.
    expect(health).toMatchObject({ queueDepth: 0, inFlight: 2 });
    expect((await Promise.all(busy)).map((a) => a.status)).toEqual([200, 200]);
  });

  it('should drop the queued jobs of a gateway killed with SIGKILL', async () => {
    const doomed = await startGateway({ databaseUrl: db.url, workerPort: worker.port, env: BASE_ENV, timeoutMs: 90_000 });
    const key = await insertKey(dataSource);
    const requests = Array.from({ length: 6 }, () => postForm(doomed.url, key, { image: page }).catch(() => undefined));
    let queued = 0;
    for (let i = 0; i < 100 && queued < 3; i += 1) {
      queued = (await workerHealth(gateway)).queueDepth ?? 0;
      await sleep(20);
    }
    expect(queued).toBeGreaterThanOrEqual(3);
    doomed.child.kill('SIGKILL');
    await Promise.all(requests);
    let health = await workerHealth(gateway);
    for (let i = 0; i < 50 && (health.queueDepth ?? 0) > 0; i += 1) {
      await sleep(20);
      health = await workerHealth(gateway);
    }
    expect(health.queueDepth).toBe(0);
    expect(health.inFlight).toBeGreaterThan(0);
  });

  it('should take a frozen worker out of service within 2 s, answer 503 at once, and put it back', async () => {
    const key = await insertKey(dataSource);
    expect((await postJson(gateway.url, key, { image: small })).status).toBe(200);
    const pid = worker.child.pid as number;
    const waiting = postJson(gateway.url, key, { image: small });
    process.kill(pid, 'SIGSTOP');
    const frozenAt = Date.now();
    try {
      const inFlight = await waiting;
      // The request that was in flight fails when the worker is taken out, not at its deadline.
      expect(inFlight.status === 200 || inFlight.body.error.code === 'worker_unavailable').toBe(true);
      expect(Date.now() - frozenAt).toBeLessThan(3_000);
      let out: OcrAnswer | undefined;
      while (!out && Date.now() - frozenAt < 5_000) {
        const answer = await postJson(gateway.url, key, { image: small });
        out = answer.status === 503 ? answer : undefined;
      }
      expect(out?.body.error.code).toBe('worker_unavailable');
      const outAfter = Date.now() - frozenAt;
      process.stdout.write(`frozen worker: out of service after ${outAfter} ms\n`);
      expect(outAfter).toBeLessThan(2_500);
      const fast = await postJson(gateway.url, key, { image: small });
      expect(fast.status).toBe(503);
      expect(fast.ms).toBeLessThan(200);
      expect((await workerHealth(gateway)).status).toBe('down');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const thawedAt = Date.now();
    let back = false;
    while (!back && Date.now() - thawedAt < 10_000) {
      back = (await postJson(gateway.url, key, { image: small })).status === 200;
      await sleep(100);
    }
    expect(back).toBe(true);
  });
});
