import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import sharp from 'sharp';
import type { DataSource } from 'typeorm';
import { OcrPatterns } from '@app/contracts';
import { createTestDatabase } from '../support/database';
import { ROOT } from '../support/paths';
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
import {
  freePort,
  startGateway,
  startWorker,
  stopAll,
  type GatewayProcess,
  type WorkerProcess,
} from '../support/processes';

// Workers start (and restart) with the real models on a shared 2-core machine.
jest.setTimeout(180_000);

/** The contract's bound for an unreachable worker. */
const UNAVAILABLE_WITHIN_MS = 2000;
const TIERS = JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } });
/** One lane and no waiting room: a second concurrent image is refused at once. */
const TIGHT_WORKER = { OCR_LANES: '1', WORKER_MAX_QUEUE: '0' };

const b64 = (bytes: Buffer): string => bytes.toString('base64');

/** `node -e <script> <args>` with the checkout's node_modules; resolves once it prints a line. */
async function spawnScript(script: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`script exited with ${code}`)));
  });
  return child;
}

/** Connects, or gives up after `ms`: false when the handshake did not complete in time. */
function handshake(port: number, ms: number, sockets: Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    sockets.push(socket);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * How the OCR endpoint behaves when the worker is frozen, busy, slow, stopped, restarted or not an
 * OCR worker at all: the contract's 503/504/500 answers, in time, with the quota unit given back,
 * and recovery without restarting the gateway.
 */
describe('OCR API when the worker fails (real processes)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let workerPort: number;
  /** WORKER_PORT = workerPort, default timeouts. */
  let gateway: GatewayProcess;
  /** The same worker, OCR_TIMEOUT_MS at its minimum (100 ms). */
  let impatient: GatewayProcess;
  /** Pointed at a Nest TCP server that has no OCR handlers. */
  let misdirected: GatewayProcess;
  let frozen: ChildProcess | undefined;
  let stranger: ChildProcess;
  let worker: WorkerProcess;
  const fillers: Socket[] = [];
  let invoice: Buffer;
  let page: Buffer;
  let key: TestKey;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    invoice = await renderPng(['INVOICE 2024', 'TOTAL 12.50']);
    const lines = Array.from(
      { length: 12 },
      (_, i) => `Line ${i + 1} of the quarterly report: value ${(i * 7.25).toFixed(2)}`,
    );
    page = await sharp(svgPage(lines, 1000, 48, 28))
      .png()
      .toBuffer();

    // A listener whose process is stopped and whose accept queue (backlog 1) is full: the kernel
    // drops further SYNs, so a connection attempt neither succeeds nor fails, like a frozen host.
    // Frozen before any gateway starts, so no gateway holds an established connection to it.
    workerPort = await freePort();
    frozen = await spawnScript(
      `require('net').createServer().listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1 }, () => console.log('ready'))`,
      [String(workerPort)],
    );
    process.kill(frozen.pid!, 'SIGSTOP');
    let full = false;
    for (let i = 0; i < 10 && !full; i++) {
      full = !(await handshake(workerPort, 300, fillers));
    }
    expect(full).toBe(true);
    const strangerPort = await freePort();
    stranger = await spawnScript(
      `const { ServerTCP } = require('@nestjs/microservices'); new ServerTCP({ host: '127.0.0.1', port: Number(process.argv[1]) }).listen(() => console.log('ready'))`,
      [String(strangerPort)],
    );
    const env = { TIERS, IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false' };
    [gateway, impatient, misdirected] = await Promise.all([
      startGateway({ databaseUrl: db.url, workerPort, env, timeoutMs: 90_000 }),
      startGateway({
        databaseUrl: db.url,
        workerPort,
        env: { ...env, OCR_TIMEOUT_MS: '100' },
        timeoutMs: 90_000,
      }),
      startGateway({ databaseUrl: db.url, workerPort: strangerPort, env, timeoutMs: 90_000 }),
    ]);
    key = await insertKey(dataSource);
  });

  afterAll(async () => {
    fillers.forEach((socket) => socket.destroy());
    frozen?.kill('SIGKILL');
    stranger?.kill('SIGKILL');
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  async function waitUntilIdle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const health = (await (await fetch(`${gateway.url}/health`)).json()) as {
        checks: { worker: { status: string; inFlight?: number; queueDepth?: number } };
      };
      const { status, inFlight, queueDepth } = health.checks.worker;
      if (status === 'up' && inFlight === 0 && queueDepth === 0) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the worker never became idle');
  }

  function expectUnavailable(answer: OcrAnswer): void {
    expectError(answer, 503, 'worker_unavailable');
    expect(answer.ms).toBeLessThan(UNAVAILABLE_WITHIN_MS);
  }

  it("should answer 503 worker_unavailable within 2 s from a frozen worker, on which Nest's bare client hangs", async () => {
    const bare = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: workerPort },
    });
    const started = Date.now();
    const bareAnswer = firstValueFrom(bare.send(OcrPatterns.health, {}).pipe(timeout(3000))).then(
      () => 'answered',
      (error: Error) => `${error.name} after ${Math.round((Date.now() - started) / 1000)} s`,
    );
    const answer = await postJson(gateway.url, key, { image: b64(invoice) });
    expectUnavailable(answer);
    expect(await usedToday(dataSource, key.id)).toBe(0);
    // Without a connect timeout the request is still waiting for the handshake when its own timer fires.
    await expect(bareAnswer).resolves.toBe('TimeoutError after 3 s');
    bare.close();
  });

  it('should recover by itself once a real worker listens on that port', async () => {
    fillers.forEach((socket) => socket.destroy());
    frozen!.kill('SIGKILL');
    await new Promise((resolve) => frozen!.once('exit', resolve));
    frozen = undefined;
    worker = await startWorker({ port: workerPort, env: TIGHT_WORKER, timeoutMs: 120_000 });
    // Back in service at the gateway's next health probe (WORKER_PROBE_INTERVAL_MS), with no restart.
    await waitUntilIdle();
    const answer = await postJson(gateway.url, key, { image: b64(invoice) });
    expect(answer.status).toBe(200);
    expect(answer.body.text).toMatch(/INVOICE/);
    expect(await usedToday(dataSource, key.id)).toBe(1);
  });

  it('should answer 503 worker_overloaded with Retry-After at once when the worker has no room, and refund', async () => {
    await waitUntilIdle();
    const busy = await insertKey(dataSource);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => postJson(gateway.url, busy, { image: b64(page) })),
    );
    const ok = answers.filter((a) => a.status === 200);
    const overloaded = answers.filter((a) => a.status === 503);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(overloaded.length).toBeGreaterThanOrEqual(1);
    expect(ok.length + overloaded.length).toBe(4);
    for (const answer of overloaded) {
      expectError(answer, 503, 'worker_overloaded');
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.ms).toBeLessThan(Math.min(...ok.map((a) => a.ms)));
    }
    expect(await usedToday(dataSource, busy.id)).toBe(ok.length);
  });

  it('should answer 504 timeout when OCR_TIMEOUT_MS passes first, and refund', async () => {
    await waitUntilIdle();
    const slow = await insertKey(dataSource);
    const answer = await postJson(impatient.url, slow, { image: b64(page) });
    expectError(answer, 504, 'timeout');
    expect(answer.ms).toBeLessThan(1500);
    expect(await usedToday(dataSource, slow.id)).toBe(0);
  });

  it('should answer 503 within 2 s while the worker is stopped, and recover when it is restarted', async () => {
    await waitUntilIdle();
    await worker.stop();
    const down = await postJson(gateway.url, key, { image: b64(invoice), mode: 'lines' });
    expectUnavailable(down);
    const used = await usedToday(dataSource, key.id);

    worker = await startWorker({ port: workerPort, env: TIGHT_WORKER, timeoutMs: 120_000 });
    await waitUntilIdle();
    const back = await postJson(gateway.url, key, { image: b64(invoice), mode: 'lines' });
    expect(back.status).toBe(200);
    expect(back.body.cached).toBe(false);
    expect(await usedToday(dataSource, key.id)).toBe(used + 1);
  });

  it('should answer 503 worker_unavailable, saying nothing of the internals, when the worker port is not an OCR worker', async () => {
    const lost = await insertKey(dataSource);
    // Another service on the port (here a bare Nest TCP server) cannot answer a health probe.
    const answer = await postJson(misdirected.url, lost, { image: b64(invoice) });
    expectUnavailable(answer);
    expect(answer.body.error.message).not.toMatch(/handler|remote|stack|\//);
    expect(await usedToday(dataSource, lost.id)).toBe(0);
  });
});
