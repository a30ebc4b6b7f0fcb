import { connect } from 'nats';
import type { DataSource } from 'typeorm';
import sharp from 'sharp';
import { createTestDatabase } from '../support/database';
import { runNode } from '../support/keys';
import { built } from '../support/paths';
import { makePdf, scannedPage } from '../support/pdf';
import { NATS_SERVER_BINARY, spawnNatsWorker, startNatsServer } from '../support/nats';
import { expectError, insertKey, openDatabase, postJson, renderPng, type TestKey } from '../support/ocr';
import { startGateway, stopAll, type GatewayProcess, type ManagedProcess } from '../support/processes';

jest.setTimeout(240_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's limit in this spec: small enough to refuse a large photo, large enough for a page. */
const MAX_PAYLOAD = 2 * 1024 * 1024;

interface WorkerCheck {
  status: string;
  lanes?: number;
  workers?: { inService: number; configured: number };
}

async function workerCheck(gateway: GatewayProcess): Promise<WorkerCheck> {
  const body = (await (await fetch(`${gateway.url}/health`)).json()) as { checks: { worker: WorkerCheck } };
  return body.checks.worker;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) {
      return Date.now() - started;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Where this spec's NATS is: its own nats-server, else NATS_URL (its max_payload read from INFO). */
async function natsForTest(): Promise<{ url: string; maxPayload: number } | undefined> {
  const own = await startNatsServer({ maxPayload: MAX_PAYLOAD });
  if (own) {
    return own;
  }
  const url = process.env.NATS_URL;
  if (!url) {
    return undefined;
  }
  const nc = await connect({ servers: url });
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  await nc.close();
  return { url, maxPayload };
}

/**
 * Issue 10, NATS beyond one host: one real gateway with WORKER_TRANSPORT=nats, two real workers
 * in the queue group on a real nats-server. One worker is killed under load: every request is
 * answered 200 by the other or with a clear 503, none hangs, and /health shows the loss. An
 * image over the server's max_payload is refused with 413 payload_too_large at once.
 */
describe('two OCR workers on NATS behind one gateway (real processes, real nats-server)', () => {
  let nats: { url: string; maxPayload: number } | undefined;
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let workers: ManagedProcess[];
  let gateway: GatewayProcess;
  let key: TestKey;
  let image: string;

  beforeAll(async () => {
    nats = await natsForTest();
    if (!nats) {
      process.stderr.write(
        `\n*** SKIPPED: no ${NATS_SERVER_BINARY} and NATS_URL unset: the NATS transport is NOT tested. ` +
          'Install the Debian package nats-server (.ci/run does). ***\n\n',
      );
      return;
    }
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    key = await insertKey(dataSource);
    image = (await renderPng(['RECEIPT 0042', 'TOTAL 12.50'])).toString('base64');
    const env = { OCR_LANES: '1', OCR_INTRA_OP_THREADS: '1' };
    workers = [spawnNatsWorker(nats.url, env), spawnNatsWorker(nats.url, env)];
    gateway = await startGateway({
      databaseUrl: db.url,
      env: {
        WORKER_TRANSPORT: 'nats',
        NATS_URL: nats.url,
        TIERS: JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } }),
        IP_RATE_LIMIT_RPS: '0',
        METRICS_ENABLED: 'false',
        RESULT_CACHE_MAX_BYTES: '0',
        OCR_TIMEOUT_MS: '30000',
      },
      timeoutMs: 90_000,
    });
    await until(
      'both NATS workers answer',
      async () => (await workerCheck(gateway)).workers?.inService === 2,
      120_000,
    );
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  const maybe = (name: string, fn: () => Promise<void>): void =>
    it(name, async () => {
      if (!nats) {
        return;
      }
      await fn();
    });

  maybe('should read a PDF over NATS: its text-layer page and its scanned page', async () => {
    const pdf = await makePdf([
      { kind: 'text', lines: [{ text: 'Invoice 7731 due 2026-12-31', x: 72, y: 700, size: 18 }] },
      await scannedPage(['TOTAL 12.50']),
    ]);
    const answer = await postJson(gateway.url, key, { image: pdf.toString('base64') });
    if (answer.status !== 200) {
      process.stdout.write(`${JSON.stringify(answer.body)}\n${gateway.output()}\n${workers.map((w) => w.output()).join('\n')}\n`);
    }
    expect(answer.status).toBe(200);
    const { pages } = answer.body as { pages: Array<{ page: number; source: string; text: string }> };
    expect(pages.map(({ page, source }) => [page, source])).toEqual([
      [1, 'text-layer'],
      [2, 'ocr'],
    ]);
    expect(pages[0].text).toBe('Invoice 7731 due 2026-12-31');
    expect(pages[1].text).toContain('12.50');
  });

  maybe('should count both workers of the queue group and sum their lanes', async () => {
    await expect(workerCheck(gateway)).resolves.toMatchObject({
      status: 'up',
      lanes: 2,
      workers: { inService: 2, configured: 2 },
    });
    const answer = await postJson(gateway.url, key, { image });
    expect(answer.status).toBe(200);
    expect((answer.body as { text: string }).text).toContain('12.50');
    // The container health check of a NATS worker: a worker of this host answers on NATS.
    const probe = await runNode(built('ocr-worker', 'src', 'health-check.js'), [], {
      WORKER_TRANSPORT: 'nats',
      NATS_URL: nats?.url ?? '',
    });
    expect([probe.code, probe.stdout]).toEqual([
      0,
      expect.stringMatching(/^worker health ok on NATS: cpu, 1 lane/),
    ]);
  });

  maybe(
    'should refuse an image over the NATS server max_payload with 413 payload_too_large, at once',
    async () => {
      const limit = nats?.maxPayload ?? MAX_PAYLOAD;
      // Noise compresses badly: a PNG well over the limit, still a valid image under MAX_BODY_BYTES.
      const side = Math.ceil(Math.sqrt((limit * 1.5) / 3));
      const noise = Buffer.alloc(side * side * 3);
      for (let i = 0; i < noise.length; i += 1) {
        noise[i] = (i * 2654435761) >>> 24;
      }
      const png = await sharp(noise, { raw: { width: side, height: side, channels: 3 } })
        .png({ compressionLevel: 0 })
        .toBuffer();
      expect(png.length).toBeGreaterThan(limit);
      const answer = await postJson(gateway.url, key, { image: png.toString('base64') });
      expectError(answer, 413, 'payload_too_large');
      expect((answer.body as { error: { message: string } }).error.message).toMatch(/smaller image/);
      expect(answer.ms).toBeLessThan(5_000);
      // The gateway and both workers are still there.
      expect((await workerCheck(gateway)).workers?.inService).toBe(2);
    },
  );

  maybe(
    'should answer every request 200 or a clear 503 while one worker is killed under load, and show it',
    async () => {
      const outcomes: Array<{ status: number; code?: string; ms: number }> = [];
      const started = Date.now();
      const load = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() - started < 10_000) {
            const answer = await postJson(gateway.url, key, { image });
            const code = (answer.body as { error?: { code: string } } | undefined)?.error?.code;
            outcomes.push({ status: answer.status, code, ms: answer.ms });
          }
        }),
      );
      await sleep(2_000);
      workers[0].child.kill('SIGKILL');
      const killedAt = Date.now();
      const seenMs = await until(
        'health shows one worker',
        async () => (await workerCheck(gateway)).workers?.inService === 1,
        10_000,
      );
      await load;
      const check = await workerCheck(gateway);
      expect(check).toMatchObject({ status: 'up', lanes: 1, workers: { inService: 1, configured: 2 } });
      const failures = outcomes.filter((outcome) => outcome.status !== 200);
      if (failures.length > 0) {
        process.stdout.write(
          `${JSON.stringify(failures)}\n${gateway.output().slice(-3000)}\n--- live worker ---\n${workers[1].output().slice(-3000)}\n`,
        );
      }
      for (const failure of failures) {
        expect([failure.status, failure.code]).toEqual([503, 'worker_unavailable']);
      }
      // None waited for the 30 s deadline: the lost worker's calls were retried on the other.
      expect(Math.max(...outcomes.map((outcome) => outcome.ms))).toBeLessThan(10_000);
      expect(outcomes.filter((outcome) => outcome.status === 200).length).toBeGreaterThan(
        outcomes.length - 3,
      );
      process.stdout.write(
        `NATS kill: ${outcomes.length} requests, ${failures.length} not 200, health showed it after ${seenMs} ms (killed at +${killedAt - started} ms)\n`,
      );
    },
  );

  maybe('should answer 503 worker_unavailable at once when no worker is subscribed', async () => {
    workers[1].child.kill('SIGKILL');
    await until('health shows no worker', async () => (await workerCheck(gateway)).status === 'down', 10_000);
    const answer = await postJson(gateway.url, key, { image });
    expectError(answer, 503, 'worker_unavailable');
    expect(answer.ms).toBeLessThan(2_000);
  });
});
