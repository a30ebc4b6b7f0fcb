/**
 * What the gateway's own path costs: an authenticated `GET /api/v1/usage` (key check, rate limit,
 * scopes, one usage read) against a bare unknown route (404: request id, logging, helmet, the
 * per-address limit, the router), each driven by autocannon with the same connections for the same
 * time, alternated round by round so that the machine's drift hits both alike.
 *
 *   npm run bench:gateway -- [--rounds 3] [--duration 10] [--connections 100]
 *
 * It starts the compiled gateway of this build (`<build>/src/main.js`) on a free port against a
 * throwaway database on DATABASE_URL's server (default: the local PostgreSQL,
 * postgres://postgres@127.0.0.1:5432/postgres), migrated here, with one key of an unthrottled
 * bench tier and the per-address limit off, so that every answer is a 200 or a 404, never a 429.
 * No worker runs: neither route needs one. Prints req/s and p99 of both per round, their ratio
 * (usage / 404) per round and the median ratio, with the load average.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'pg';

const BUILD_ROOT = join(__dirname, '..');
const BENCH_TIER = JSON.stringify({ bench: { rps: 1_000_000, burst: 1_000_000, daily: 1_000_000_000 } });

interface Figures {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') {
    throw new Error('could not find a free port');
  }
  return address.port;
}

function runNode(entry: string[], env: NodeJS.ProcessEnv, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(BUILD_ROOT, ...entry), ...args], { env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${entry.join('/')} exited with ${code}:\n${output}`)),
    );
  });
}

async function waitForHealth(url: string, gateway: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (gateway.exitCode !== null) {
      throw new Error(`the gateway exited with ${gateway.exitCode}`);
    }
    try {
      await (await fetch(`${url}/health`)).arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error('the gateway did not answer within 60 s');
}

async function drive(url: string, connections: number, duration: number, key?: string): Promise<Figures> {
  const result = await autocannon({
    url,
    connections,
    duration,
    headers: key === undefined ? {} : { 'x-api-key': key },
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '100' },
    },
  });
  const rounds = Number(values.rounds);
  const duration = Number(values.duration);
  const connections = Number(values.connections);

  const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `ocr_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const databaseUrl = new URL(server);
  databaseUrl.pathname = `/${name}`;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl.toString(),
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKER_PORT: String(await freePort()),
    TIERS: BENCH_TIER,
    IP_RATE_LIMIT_RPS: '0',
  };
  let gateway: ChildProcess | undefined;
  try {
    await runNode(['scripts', 'migrate.js'], env, ['run']);
    const key = (
      await runNode(['src', 'cli', 'keys.js'], env, ['create', '--name', 'bench', '--tier', 'bench', '--scopes', 'ocr'])
    ).trim();
    // The gateway logs every request, as in production; its lines are discarded unread.
    gateway = spawn(process.execPath, [join(BUILD_ROOT, 'src', 'main.js')], { env, stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base, gateway);
    // Warm-up: the first verification pays bcrypt, JIT and connection set-up.
    await drive(`${base}/api/v1/usage`, 10, 2, key);
    await drive(`${base}/nonexistent`, 10, 2);

    const ratios: number[] = [];
    process.stdout.write(
      `gateway bench: ${connections} connections, ${duration} s per run, ${rounds} rounds; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    process.stdout.write('round  usage req/s  usage p99 ms  404 req/s  404 p99 ms  ratio\n');
    for (let round = 1; round <= rounds; round++) {
      const usage = await drive(`${base}/api/v1/usage`, connections, duration, key);
      const notFound = await drive(`${base}/nonexistent`, connections, duration);
      if (usage.non2xx > 0 || usage.errors > 0 || notFound.errors > 0) {
        process.stdout.write(
          `  (round ${round}: usage non-2xx ${usage.non2xx}, errors ${usage.errors + notFound.errors})\n`,
        );
      }
      const ratio = usage.rps / notFound.rps;
      ratios.push(ratio);
      process.stdout.write(
        `${String(round).padEnd(7)}${usage.rps.toFixed(0).padStart(11)}  ${String(usage.p99).padStart(12)}  ${notFound.rps
          .toFixed(0)
          .padStart(9)}  ${String(notFound.p99).padStart(10)}  ${ratio.toFixed(2)}\n`,
      );
    }
    process.stdout.write(
      `median ratio usage/404: ${median(ratios).toFixed(2)}; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
  } finally {
    gateway?.kill('SIGTERM');
    if (gateway && gateway.exitCode === null) {
      await new Promise((resolve) => gateway?.once('exit', resolve));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:gateway failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
