import { networkInterfaces } from 'node:os';
import type { DataSource } from 'typeorm';
import { generateApiKey } from '../support/app-code';
import { createTestDatabase } from '../support/database';
import { insertKey, openDatabase, renderPng, type TestKey } from '../support/ocr';
import {
  freePort,
  startGateway,
  startWorker,
  stopAll,
  type GatewayProcess,
  type WorkerProcess,
} from '../support/processes';

// A real worker recognises on a shared 2-core machine: seconds, not milliseconds.
jest.setTimeout(180_000);

type LogLine = Record<string, unknown>;

/** The process's JSON log lines so far (every line of its output must be one). */
function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a line that `match` accepts: a process writes its lines a little after it answers. */
async function lineOf(process: { output(): string }, match: (line: LogLine) => boolean): Promise<LogLine> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found = logLines(process.output()).find(match);
    if (found) {
      return found;
    }
    await sleep(100);
  }
  throw new Error(`no such log line in:\n${process.output().slice(-4000)}`);
}

/**
 * What an operator watches, against a real gateway and worker: the log lines of one request in
 * both processes, the liveness probe, and the metrics.
 */
describe('Operations (real gateway, worker and Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let worker: WorkerProcess;
  let gateway: GatewayProcess;
  let key: TestKey;
  let workerMetricsPort: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    workerMetricsPort = await freePort();
    worker = await startWorker({
      env: { OCR_LANES: '1', LOG_LEVEL: 'info', WORKER_METRICS_PORT: String(workerMetricsPort) },
      timeoutMs: 120_000,
    });
    gateway = await startGateway({
      databaseUrl: db.url,
      workerPort: worker.port,
      env: {
        LOG_LEVEL: 'info',
        IP_RATE_LIMIT_RPS: '0',
        TIERS: JSON.stringify({
          test: { rps: 1000, burst: 1000, daily: 100_000 },
          tiny: { rps: 0.01, burst: 1, daily: 1000 },
        }),
      },
      timeoutMs: 90_000,
    });
    key = await insertKey(dataSource);
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('logs', () => {
    it("should carry one request's id in the gateway's and the worker's JSON lines, with the same fields", async () => {
      const requestId = 'ops-e2e-trace-4711';
      const image = (await renderPng(['LOG LINE 42'])).toString('base64');
      const response = await fetch(`${gateway.url}/api/v1/ocr`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': key.plaintext,
          'x-request-id': requestId,
        },
        body: JSON.stringify({ image }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe(requestId);

      const access = await lineOf(gateway, (line) => line.requestId === requestId);
      const job = await lineOf(worker, (line) => line.requestId === requestId);
      for (const [line, service] of [
        [access, 'gateway'],
        [job, 'worker'],
      ] as const) {
        expect(line).toMatchObject({ level: 30, time: expect.any(Number), service, msg: expect.any(String) });
      }
      expect(access).toMatchObject({
        msg: 'request completed',
        method: 'POST',
        route: '/api/v1/ocr',
        status: 200,
      });
      // Structured fields, not `key=value` inside the message.
      expect(job).toMatchObject({
        msg: 'recognized',
        bytes: expect.any(Number),
        lines: expect.any(Number),
        queueMs: expect.any(Number),
        totalMs: expect.any(Number),
        stageMs: expect.any(Object),
      });
      expect(String(job.msg)).not.toMatch(/=/);

      // Every line of both processes is JSON (not a terminal), none with the key.
      for (const output of [gateway.output(), worker.output()]) {
        expect(() => logLines(output)).not.toThrow();
        expect(output).not.toContain(key.plaintext);
      }
      // Nest's per-module and per-route start-up lines stay at debug level.
      expect(gateway.output()).not.toContain('RouterExplorer');
      expect(worker.output()).not.toContain('InstanceLoader');
    });
  });

  describe('liveness', () => {
    it('should answer GET /health/live with 200 {"status":"ok"}, without a key, beside /health', async () => {
      const live = await fetch(`${gateway.url}/health/live`);
      expect(live.status).toBe(200);
      expect(live.headers.get('content-type')).toMatch(/^application\/json/);
      expect(live.headers.get('cache-control')).toBe('no-store');
      expect(live.headers.get('x-request-id')).toBeTruthy();
      expect(await live.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${gateway.url}/health`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { worker: { status: 'up' } } });
    });

    it('should stay 200 while a dependency is down and while its address is over the per-address limit', async () => {
      // No worker on its port, and a per-address limit that a few requests exhaust.
      const alone = await startGateway({
        databaseUrl: db.url,
        env: { IP_RATE_LIMIT_RPS: '0.01', IP_RATE_LIMIT_BURST: '3' },
        timeoutMs: 90_000,
      });
      try {
        const live = await fetch(`${alone.url}/health/live`);
        expect(live.status).toBe(200);
        expect(await live.json()).toEqual({ status: 'ok' });
        const statuses: number[] = [];
        for (let i = 0; i < 6; i += 1) {
          const ready = await fetch(`${alone.url}/health`);
          await ready.arrayBuffer();
          statuses.push(ready.status);
        }
        expect(statuses).toContain(503); // the worker is down: not ready
        expect(statuses.at(-1)).toBe(429); // and this address is over its limit
        for (let i = 0; i < 5; i += 1) {
          const again = await fetch(`${alone.url}/health/live`);
          expect(again.status).toBe(200);
          await again.arrayBuffer();
        }
      } finally {
        await alone.stop();
      }
    });

    it('should describe /health/live in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${gateway.url}/docs-json`)).json()) as {
        paths: Record<string, { get?: { responses: Record<string, unknown>; security?: unknown[] } }>;
      };
      expect(doc.paths['/health/live']?.get?.responses).toHaveProperty('200');
      expect(doc.paths['/health']?.get?.responses).toHaveProperty('503');
    });
  });

  describe('metrics', () => {
    async function scrape(): Promise<string> {
      const response = await fetch(`${gateway.url}/metrics`);
      expect(response.status).toBe(200);
      return response.text();
    }

    /** The value of one series, 0 when it was never written. */
    function value(text: string, series: string): number {
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    }

    async function ocr(as: TestKey, image: Buffer): Promise<Response> {
      const response = await fetch(`${gateway.url}/api/v1/ocr`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': as.plaintext },
        body: JSON.stringify({ image: image.toString('base64') }),
      });
      await response.arrayBuffer();
      return response;
    }

    async function usage(headers: Record<string, string>, path = '/api/v1/usage'): Promise<number> {
      const response = await fetch(`${gateway.url}${path}`, { headers });
      await response.arrayBuffer();
      return response.status;
    }

    it('should count authentication failures by reason, never naming a key', async () => {
      const before = await scrape();
      const disabled = await insertKey(dataSource);
      await dataSource.query('UPDATE api_keys SET enabled = false WHERE id = $1', [disabled.id]);
      const wrongSecret = `${key.plaintext.slice(0, -2)}${key.plaintext.endsWith('AA') ? 'BB' : 'AA'}`;
      expect(await usage({})).toBe(401);
      expect(await usage({ 'x-api-key': 'not-a-key-at-all' })).toBe(401);
      expect(await usage({ 'x-api-key': generateApiKey().plaintext })).toBe(401);
      expect(await usage({ 'x-api-key': wrongSecret })).toBe(401);
      expect(await usage({ 'x-api-key': disabled.plaintext })).toBe(401);
      expect(await usage({ 'x-api-key': key.plaintext }, '/admin/v1/keys')).toBe(403);
      const after = await scrape();
      for (const reason of [
        'missing',
        'malformed',
        'unknown_key',
        'wrong_secret',
        'disabled',
        'insufficient_scope',
      ]) {
        const series = `auth_failures_total{reason="${reason}"}`;
        expect([reason, value(after, series) - value(before, series)]).toEqual([reason, 1]);
      }
      expect(after).not.toContain(key.id);
      expect(after).not.toContain(disabled.id);
      expect(after).not.toContain(key.plaintext.slice(-20));
    });

    it('should count rate and quota refusals by tier', async () => {
      const before = await scrape();
      const tiny = await insertKey(dataSource, { tier: 'tiny' });
      expect(await usage({ 'x-api-key': tiny.plaintext })).toBe(200);
      expect(await usage({ 'x-api-key': tiny.plaintext })).toBe(429);
      const oneADay = await insertKey(dataSource, { dailyLimit: 1 });
      expect((await ocr(oneADay, await renderPng(['QUOTA ONE']))).status).toBe(200);
      expect((await ocr(oneADay, await renderPng(['QUOTA TWO']))).status).toBe(429);
      const after = await scrape();
      const rate = 'api_refusals_total{code="rate_limited",tier="tiny"}';
      const quota = 'api_refusals_total{code="quota_exceeded",tier="test"}';
      expect(value(after, rate) - value(before, rate)).toBe(1);
      expect(value(after, quota) - value(before, quota)).toBe(1);
    });

    it('should count result cache hits and misses, and time worker calls and their errors by code', async () => {
      const before = await scrape();
      const image = await renderPng(['CACHE ME 7']);
      expect((await ocr(key, image)).status).toBe(200);
      expect((await ocr(key, image)).status).toBe(200);
      // A PNG whose header the gateway accepts and whose pixels the worker cannot decode.
      const broken = Buffer.concat([image.subarray(0, 64), Buffer.alloc(256, 0x41)]);
      expect((await ocr(key, broken)).status).toBe(422);
      const after = await scrape();
      const delta = (series: string): number => value(after, series) - value(before, series);
      expect(delta('ocr_cache_lookups_total{result="miss"}')).toBe(2);
      expect(delta('ocr_cache_lookups_total{result="hit"}')).toBe(1);
      expect(delta('ocr_worker_request_duration_seconds_count{outcome="ok"}')).toBe(1);
      expect(delta('ocr_worker_request_duration_seconds_count{outcome="invalid_image"}')).toBe(1);
      expect(after).toMatch(/ocr_worker_request_duration_seconds_bucket\{le="\+Inf",outcome="ok"\} \d+/);
    });
  });

  describe('worker metrics', () => {
    async function scrapeWorker(): Promise<string> {
      const response = await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      return response.text();
    }

    it("should serve the worker's queue, lanes, stages, images, lines, device, model and refusals on its loopback port", async () => {
      const before = await scrapeWorker();
      const image = await renderPng(['WORKER METRICS 9', 'SECOND LINE']);
      const ok = await fetch(`${gateway.url}/api/v1/ocr`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
        body: JSON.stringify({ image: image.toString('base64') }),
      });
      const result = (await ok.json()) as { lines: unknown[] };
      expect(ok.status).toBe(200);
      const broken = Buffer.concat([image.subarray(0, 64), Buffer.alloc(256, 0x41)]);
      const refused = await fetch(`${gateway.url}/api/v1/ocr`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
        body: JSON.stringify({ image: broken.toString('base64') }),
      });
      await refused.arrayBuffer();
      expect(refused.status).toBe(422);

      const after = await scrapeWorker();
      const value = (text: string, series: string): number => {
        const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
        return line === undefined ? 0 : Number(line.slice(series.length + 1));
      };
      const delta = (series: string): number => value(after, series) - value(before, series);
      expect(delta('ocr_worker_images_total')).toBe(1);
      expect(delta('ocr_worker_lines_total')).toBe(result.lines.length);
      expect(delta('ocr_worker_refusals_total{code="invalid_image"}')).toBe(1);
      for (const stage of ['decode', 'detect', 'recognize']) {
        expect([stage, delta(`ocr_worker_stage_duration_seconds_count{stage="${stage}"}`)]).toEqual([
          stage,
          1,
        ]);
      }
      expect(value(after, 'ocr_worker_queue_depth')).toBe(0);
      expect(value(after, 'ocr_worker_jobs_in_flight')).toBe(0);
      expect(value(after, 'ocr_worker_lanes{state="idle"}')).toBe(1);
      expect(after).toMatch(/^ocr_worker_info\{device="cpu",model="PP-OCR[^"]*"\} 1$/m);
      expect(after).toContain('process_resident_memory_bytes');
      expect(after).not.toContain('req_');

      const other = await fetch(`http://127.0.0.1:${workerMetricsPort}/`);
      await other.arrayBuffer();
      expect(other.status).toBe(404);
    });

    it('should listen on loopback only', async () => {
      const outside = Object.values(networkInterfaces())
        .flat()
        .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal);
      if (outside === undefined) {
        return; // no other address on this machine to try
      }
      await expect(fetch(`http://${outside.address}:${workerMetricsPort}/metrics`)).rejects.toThrow();
    });
  });
});
