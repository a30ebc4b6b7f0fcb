import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/database';
import { insertKey, openDatabase, postJson, renderPng } from '../support/ocr';
import { startGateway, startWorker, stopAll, type GatewayProcess, type WorkerProcess } from '../support/processes';

jest.setTimeout(180_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface WorkerCheck {
  status: string;
  workers?: { inService: number; configured: number };
}

async function workerCheck(gateway: GatewayProcess): Promise<WorkerCheck> {
  const body = (await (await fetch(`${gateway.url}/health`)).json()) as { checks: { worker: WorkerCheck } };
  return body.checks.worker;
}

/**
 * Issue 10: one gateway, two real workers in WORKER_URLS. Load is spread over both; a frozen one
 * is taken out and the other serves every request; it is put back when it thaws.
 */
describe('several workers behind one gateway (WORKER_URLS, real processes)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let workers: WorkerProcess[];
  let gateway: GatewayProcess;
  let image: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    image = (await renderPng(['RECEIPT 0042', 'TOTAL 12.50'])).toString('base64');
    const env = { OCR_LANES: '1', OCR_INTRA_OP_THREADS: '1', LOG_LEVEL: 'info' };
    workers = await Promise.all([startWorker({ env, timeoutMs: 120_000 }), startWorker({ env, timeoutMs: 120_000 })]);
    gateway = await startGateway({
      databaseUrl: db.url,
      env: {
        WORKER_URLS: workers.map((worker) => `127.0.0.1:${worker.port}`).join(','),
        TIERS: JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } }),
        IP_RATE_LIMIT_RPS: '0',
        METRICS_ENABLED: 'false',
        RESULT_CACHE_MAX_BYTES: '0',
      },
      timeoutMs: 90_000,
    });
    for (let i = 0; i < 100 && (await workerCheck(gateway)).workers?.inService !== 2; i += 1) {
      await sleep(200);
    }
  });

  afterAll(async () => {
    for (const worker of workers ?? []) {
      if (worker.child.pid && worker.isRunning()) {
        process.kill(worker.child.pid, 'SIGCONT');
      }
    }
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('should report both workers and their summed lanes', async () => {
    await expect(workerCheck(gateway)).resolves.toMatchObject({
      status: 'up',
      lanes: 2,
      workers: { inService: 2, configured: 2 },
    });
  });

  it('should serve every request from the other worker while one is frozen, and take the frozen one back', async () => {
    const key = await insertKey(dataSource);
    const pid = workers[0].child.pid as number;
    const statuses: number[] = [];
    const started = Date.now();
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() - started < 8_000) {
          const answer = await postJson(gateway.url, key, { image });
          statuses.push(answer.status);
          if (answer.status !== 200) {
            // Only the calls on the worker as it froze may fail, and then clearly.
            expect(answer.body.error.code).toBe('worker_unavailable');
          }
        }
      }),
    );
    await sleep(1_500);
    process.kill(pid, 'SIGSTOP');
    const frozenAt = Date.now();
    try {
      let out = false;
      while (!out && Date.now() - frozenAt < 5_000) {
        out = (await workerCheck(gateway)).workers?.inService === 1;
        await sleep(50);
      }
      expect(out).toBe(true);
      expect(Date.now() - frozenAt).toBeLessThan(2_500);
      // With one worker out, every new request is served by the other.
      const served = await Promise.all(Array.from({ length: 4 }, () => postJson(gateway.url, key, { image })));
      if (served.some((answer) => answer.status !== 200)) {
        process.stdout.write(`${JSON.stringify(served.map((a): unknown[] => [a.status, a.ms, a.body?.error as unknown]))}\n${gateway.output()}\n=== A\n${workers[0].output().slice(-6000)}\n=== B\n${workers[1].output().slice(-6000)}\n`);
      }
      expect(served.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      await load;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(statuses.length - 5);
    let back = false;
    for (let i = 0; i < 50 && !back; i += 1) {
      back = (await workerCheck(gateway)).workers?.inService === 2;
      await sleep(100);
    }
    expect(back).toBe(true);
  });
});
