import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/database';
import { createAdminKeyWithCli } from '../support/keys';
import { insertKey, openDatabase, renderPng, usedToday, type TestKey } from '../support/ocr';
import { built } from '../support/paths';
import {
  freePort,
  spawnCommand,
  startWorker,
  stopAll,
  waitForHttp,
  type ManagedProcess,
} from '../support/processes';

// A real worker recognises on a shared 2-core machine: seconds per image, not milliseconds.
jest.setTimeout(240_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIERS = {
  enterprise: { rps: 1000, burst: 1000, daily: 100_000 },
  test: { rps: 1000, burst: 1000, daily: 100_000 },
  // Four requests at once, then one per 100 s: the fifth within the test is refused.
  tiny: { rps: 0.01, burst: 4, daily: 100_000 },
  daily3: { rps: 1000, burst: 1000, daily: 3 },
};

type LogLine = Record<string, unknown>;

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  requestId: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One request on a connection of its own (no keep-alive agent), so that the cluster's primary
 * hands each to the next process; sent with a request id of ours, to find its log line.
 */
function send(
  port: number,
  method: string,
  path: string,
  options: { key?: string; json?: unknown; timeoutMs?: number } = {},
): Promise<Answer> {
  const requestId = `gp-${randomBytes(6).toString('hex')}`;
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          'x-request-id': requestId,
          ...(options.key ? { 'x-api-key': options.key } : {}),
          ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, requestId });
        });
      },
    );
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    }
    req.end(body);
  });
}

function logLines(process: ManagedProcess): LogLine[] {
  return process
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The value of one sample (`name{labels}` exactly as written) in a Prometheus text answer. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Issue 10: GATEWAY_PROCESSES=2 on one port, started the way npm start starts a gateway (the
 * lifeline preload, its pipe on fd 3), with Redis for the rate limits, a real worker and
 * PostgreSQL. Each request goes on a fresh connection, and the gateway's access line names the
 * pid of the process that answered it: both processes serve, and a revocation, a rate limit and
 * a daily quota hold across them; /metrics answers for both from either; a process killed with
 * SIGKILL is restarted while clients see at most failed connections; SIGTERM drains and exits 0.
 */
describe('several gateway processes on one port (GATEWAY_PROCESSES=2, Redis, real worker, Postgres)', () => {
  const prefix = `ocr:gp-test:${randomBytes(4).toString('hex')}:`;
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let admin: string;
  let port: number;
  let cluster: ManagedProcess;
  let image: string;

  const primaryLines = (): LogLine[] => logLines(cluster).filter((line) => line.role === 'primary');
  /** Pids of the processes the primary has seen listening and not yet seen exit. */
  const servingPids = (): Set<number> => {
    const pids = new Set<number>();
    for (const line of primaryLines()) {
      const pid = line.gatewayPid as number;
      if (line.msg === 'gateway process listening') {
        pids.add(pid);
      } else if (line.msg === 'gateway process died; restarting it' || line.msg === 'gateway process stopped') {
        pids.delete(pid);
      }
    }
    return pids;
  };

  /** The pid in the access line of each answer (written just after the answer is sent). */
  async function pidsOf(answers: Answer[]): Promise<number[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const byId = new Map(
        logLines(cluster)
          .filter((line) => typeof line.requestId === 'string' && typeof line.status === 'number')
          .map((line) => [line.requestId as string, line.pid as number]),
      );
      const pids = answers.map((answer) => byId.get(answer.requestId));
      if (pids.every((pid) => pid !== undefined)) {
        return pids;
      }
      if (Date.now() > deadline) {
        throw new Error(`no access line for some answers in:\n${cluster.output().slice(-4000)}`);
      }
      await sleep(100);
    }
  }

  async function sequential<T>(count: number, make: () => Promise<T>): Promise<T[]> {
    const answers: T[] = [];
    for (let index = 0; index < count; index += 1) {
      answers.push(await make());
    }
    return answers;
  }

  const usage = (key: TestKey): Promise<Answer> => send(port, 'GET', '/api/v1/usage', { key: key.plaintext });
  const metrics = async (): Promise<string> => {
    const answer = await send(port, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    return answer.text;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    admin = await createAdminKeyWithCli(db.url);
    image = (await renderPng(['RECEIPT 0042'])).toString('base64');
    const worker = await startWorker({ env: { OCR_LANES: '1' }, timeoutMs: 120_000 });
    port = await freePort();
    cluster = spawnCommand(
      'gateway cluster',
      process.execPath,
      ['--require', built('src', 'cli', 'lifeline.js'), built('src', 'main.js')],
      {
        GATEWAY_PROCESSES: '2',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: db.url,
        WORKER_HOST: '127.0.0.1',
        WORKER_PORT: String(worker.port),
        REDIS_URL,
        RATE_LIMIT_REDIS_PREFIX: prefix,
        TIERS: JSON.stringify(TIERS),
        IP_RATE_LIMIT_RPS: '0',
        // Every OCR request goes to the worker (none answered from a cache), and a verified key
        // stays cached for ten minutes: a refusal after a revocation comes from the invalidation.
        RESULT_CACHE_MAX_BYTES: '0',
        KEY_CACHE_TTL_MS: '600000',
        BCRYPT_COST: '4',
        LOG_LEVEL: 'info',
      },
      { supervisorPipe: true },
    );
    const deadline = Date.now() + 120_000;
    while (servingPids().size < 2) {
      if (!cluster.isRunning() || Date.now() > deadline) {
        throw new Error(`the cluster did not start:\n${cluster.output().slice(-4000)}`);
      }
      await sleep(200);
    }
    await waitForHttp(`http://127.0.0.1:${port}/health`, { process: cluster, accept: (status) => status === 200 });
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    await redis.quit();
  });

  it('should serve requests from both processes, none from the primary, with no warning about Redis', async () => {
    const key = await insertKey(dataSource);
    const answers = await sequential(8, () => usage(key));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const pids = new Set(await pidsOf(answers));
    expect(pids).toEqual(servingPids());
    expect(pids.size).toBe(2);
    expect(pids.has(cluster.child.pid!)).toBe(false);
    expect(cluster.output()).not.toContain('without REDIS_URL');
    expect(cluster.output()).not.toContain(key.plaintext);
  });

  it('should refuse a key revoked through the admin API at once on both processes', async () => {
    const key = await insertKey(dataSource);
    // Verified, and so cached, by both processes first.
    const warm = await sequential(6, () => usage(key));
    expect(warm.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(new Set(await pidsOf(warm)).size).toBe(2);

    const revoked = await send(port, 'DELETE', `/admin/v1/keys/${key.id}`, { key: admin });
    expect(revoked.status).toBe(204);
    const after = await sequential(6, () => usage(key));
    expect(after.map((answer) => answer.status)).toEqual(Array(6).fill(401));
    expect(after[0].body.error.code).toBe('invalid_api_key');
    expect(new Set(await pidsOf(after)).size).toBe(2);
  });

  it("should hold a key's rate limit across both processes: the fifth request of a burst of four is refused", async () => {
    const key = await insertKey(dataSource, { tier: 'tiny' });
    const answers = await sequential(8, () => usage(key));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
    expect(answers[4].body.error.code).toBe('rate_limited');
    const pids = await pidsOf(answers);
    expect(new Set(pids.slice(0, 4)).size).toBe(2);
    expect(new Set(pids.slice(4)).size).toBe(2);
  });

  it('should hold the daily quota across both processes: three of six concurrent images, three units used', async () => {
    const key = await insertKey(dataSource, { tier: 'daily3' });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => send(port, 'POST', '/api/v1/ocr', { key: key.plaintext, json: { image } })),
    );
    const ok = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    expect([ok.length, refused.length]).toEqual([3, 3]);
    ok.forEach((answer) => expect(answer.body.text).toMatch(/0042/));
    refused.forEach((answer) => expect(answer.body.error.code).toBe('quota_exceeded'));
    expect(new Set(await pidsOf(answers)).size).toBe(2);
    expect(await usedToday(dataSource, key.id)).toBe(3);
  });

  it("should answer GET /metrics from either process with both processes' counts merged", async () => {
    // The refusals above were counted by both processes (asserted there); every scrape, whichever
    // process answers it, must show the cluster's totals: 4 rate limited, 3 over quota, 6 revoked.
    const scrapes = await sequential(4, metrics);
    for (const text of scrapes) {
      expect(sample(text, 'gateway_processes')).toBe(2);
      expect(sample(text, 'gateway_process_restarts_total')).toBe(0);
      expect(sample(text, 'api_refusals_total{code="rate_limited",tier="tiny"}')).toBe(4);
      expect(sample(text, 'api_refusals_total{code="quota_exceeded",tier="daily3"}')).toBe(3);
      expect(sample(text, 'auth_failures_total{reason="revoked"}')).toBe(6);
      expect(sample(text, 'ocr_worker_request_duration_seconds_count{outcome="ok"}')).toBe(3);
      expect(sample(text, 'gateway_worker_bytes_in_flight')).toBe(0);
      expect(sample(text, 'gateway_worker_jobs_in_flight')).toBe(0);
      expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    }
  });

  it('should restart a process killed with SIGKILL under load; clients see failed connections at most, never a wrong answer', async () => {
    const key = await insertKey(dataSource);
    const [victim, survivor] = [...servingPids()];
    const clients = 3;
    const tally = { ok: 0, connectionFailed: 0, other: [] as string[] };
    let killed = false;
    let stop = false;
    const load = Array.from({ length: clients }, async () => {
      while (!stop) {
        try {
          // A connection that neither answers nor fails would be the worst outcome: reported as such.
          const answer = await send(port, 'POST', '/api/v1/ocr', {
            key: key.plaintext,
            json: { image },
            timeoutMs: 90_000,
          });
          if (answer.status === 200 && /0042/.test(String(answer.body?.text))) {
            tally.ok += 1;
          } else {
            tally.other.push(`${answer.status} ${answer.text.slice(0, 200)}`);
          }
        } catch (error) {
          if ((error as Error).message.startsWith('no answer')) {
            tally.other.push((error as Error).message);
          }
          tally.connectionFailed += 1;
          expect(killed).toBe(true);
          await sleep(50); // a client's pause before it tries again
        }
      }
    });

    // Kill once answers flow and calls are in flight (the merged gauge counts them).
    const loadDeadline = Date.now() + 90_000;
    while (tally.ok < 2 || (sample(await metrics(), 'gateway_worker_jobs_in_flight') ?? 0) < 2) {
      expect(Date.now()).toBeLessThan(loadDeadline);
      await sleep(50);
    }
    killed = true;
    process.kill(victim, 'SIGKILL');
    const okAtKill = tally.ok;
    // The primary forks a replacement while the survivor goes on serving the load.
    const restartDeadline = Date.now() + 90_000;
    while (servingPids().size < 2 || servingPids().has(victim)) {
      expect(cluster.isRunning()).toBe(true);
      expect(Date.now()).toBeLessThan(restartDeadline);
      await sleep(100);
    }
    stop = true;
    await Promise.all(load);
    const replacement = [...servingPids()].find((pid) => pid !== survivor)!;

    process.stdout.write(
      `SIGKILL of gateway process ${victim}: ${tally.ok} x 200 (${okAtKill} before the kill), ` +
        `${tally.connectionFailed} failed connections, replacement ${replacement}\n`,
    );
    expect(tally.other).toEqual([]);
    expect(tally.ok).toBeGreaterThan(okAtKill);
    // Only the calls in flight on the victim (at most one per client) lose their connection.
    expect(tally.connectionFailed).toBeLessThanOrEqual(clients);
    expect(primaryLines()).toContainEqual(
      expect.objectContaining({ msg: 'gateway process died; restarting it', gatewayPid: victim, signal: 'SIGKILL' }),
    );
    // The replacement serves: requests on fresh connections reach both processes again.
    const answers = await sequential(6, () => usage(key));
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(new Set(await pidsOf(answers))).toEqual(new Set([survivor, replacement]));
    const text = await metrics();
    expect(sample(text, 'gateway_processes')).toBe(2);
    expect(sample(text, 'gateway_process_restarts_total')).toBe(1);
  }, 300_000);

  it('should let the requests in progress finish on SIGTERM, then exit 0', async () => {
    const key = await insertKey(dataSource);
    const pids = [...servingPids()];
    const slow = (await renderPng(['DRAIN 7781', 'TOTAL 99.10', 'THANK YOU'], 900)).toString('base64');
    const inFlight = send(port, 'POST', '/api/v1/ocr', { key: key.plaintext, json: { image: slow } });
    const deadline = Date.now() + 30_000;
    while ((sample(await metrics(), 'gateway_worker_jobs_in_flight') ?? 0) < 1) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(20);
    }
    cluster.child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body.text).toMatch(/7781/);
    expect(await cluster.exited).toEqual({ code: 0, signal: null });
    const stopped = primaryLines().filter((line) => line.msg === 'gateway process stopped');
    expect(new Set(stopped.map((line) => line.gatewayPid))).toEqual(new Set(pids));
    stopped.forEach((line) => expect(line.code).toBe(0));
    for (const pid of pids) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
  });

  it('should warn at start that rate limits are per process without REDIS_URL, and stop at once on SIGTERM', async () => {
    const lonely = spawnCommand('gateway cluster without Redis', process.execPath, [built('src', 'main.js')], {
      GATEWAY_PROCESSES: '2',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATABASE_URL: db.url,
      WORKER_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    const deadline = Date.now() + 30_000;
    while (!lonely.output().includes('starting gateway processes')) {
      expect(lonely.isRunning()).toBe(true);
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(50);
    }
    const warning = logLines(lonely).find((line) => line.level === 40 && line.role === 'primary');
    expect(warning).toMatchObject({ service: 'gateway', processes: 2, msg: expect.stringContaining('without REDIS_URL') });
    // Its processes are still starting: each stops as it is, and the primary still exits 0.
    lonely.child.kill('SIGTERM');
    expect(await lonely.exited).toEqual({ code: 0, signal: null });
  });
});
