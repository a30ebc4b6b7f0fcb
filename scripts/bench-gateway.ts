/**
 * What the gateway's own path costs: an authenticated `GET /api/v1/usage` (key check, rate limit,
 * scopes, one usage read) against a bare unknown route (404: request id, logging, helmet, the
 * per-address limit, the router), each driven by autocannon with the same connections for the same
 * time, alternated round by round so that the machine's drift hits both alike.
 *
 *   npm run bench:gateway -- [--rounds 3] [--duration 10] [--connections 100] [--baseline DIR] [--no-redis]
 *                            [--simultaneous] [--profile DIR] [--only usage|404]
 *
 * It starts the compiled gateway of this build (`<build>/src/main.js`) on a free port against a
 * throwaway database on DATABASE_URL's server (default: the local PostgreSQL,
 * postgres://postgres@127.0.0.1:5432/postgres), migrated here, with one key of an unthrottled
 * bench tier and the per-address limit off, so that every answer is a 200 or a 404, never a 429.
 * Rate limits go through Redis as in production (REDIS_URL, default redis://127.0.0.1:6379, under
 * a throwaway prefix; `--no-redis`: in-process buckets). No worker runs: neither route needs one.
 *
 * `--baseline DIR` (another build's output folder, e.g. `/tmp/base/dist`; repeatable) starts that
 * build's gateway too, on the same database and key, and alternates the builds within every round
 * (the order flips each round), so that both see the same machine: the way to measure a change on
 * a shared machine. Prints req/s, p99 and the gateway's CPU time per request of both routes per
 * build and round, their ratios (req/s usage / 404; CPU 404 / usage) and the medians, with the
 * load average.
 *
 * `--simultaneous` drives every build's gateway at the same time (each with its own
 * `--connections`), the usage route first, then the 404: on a machine whose load moves from one
 * second to the next, builds measured at the same moment compare better than builds measured
 * one after the other. Each build then has part of the machine, so its req/s is lower than alone;
 * compare the ratios and the CPU per request, not the req/s, with a run without it.
 *
 * `--profile DIR` runs every gateway under `node --cpu-prof` (one `.cpuprofile` per build in
 * `DIR/<build>/`, written when the gateway stops); with `--only usage` (or `--only 404`) only that
 * route is driven, so that the profile is its path. `node dist/scripts/profile-summary.js --last 10
 * DIR/<build>/*.cpuprofile` sums the last 10 s, the measured run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'pg';

const BUILD_ROOT = join(__dirname, '..');
const BENCH_TIER = JSON.stringify({ bench: { rps: 1_000_000, burst: 1_000_000, daily: 1_000_000_000 } });

interface Figures {
  rps: number;
  p99: number;
  /** The gateway process's CPU time per answered request, in ms; NaN where /proc cannot tell. */
  cpuMs: number;
  non2xx: number;
  requests: number;
  /** Database transactions (statements) per answered request; NaN where builds ran at once. */
  dbPerRequest: number;
  /** Answers by status, e.g. `200:5000 500:3`, to tell what the non-2xx were. */
  statuses: string;
  errors: number;
}

/** The figures of a route left out by `--only`. */
const NOT_DRIVEN: Figures = {
  requests: 0,
  dbPerRequest: Number.NaN,
  rps: Number.NaN,
  p99: Number.NaN,
  cpuMs: Number.NaN,
  non2xx: 0,
  statuses: '',
  errors: 0,
};

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds (user + system) a process has used so far; NaN off Linux. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return Number.NaN;
  }
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

function runNode(
  root: string,
  entry: string[],
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<string> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [join(root, ...entry), ...args], { env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? done(output) : reject(new Error(`${entry.join('/')} exited with ${code}:\n${output}`)),
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

async function drive(
  url: string,
  connections: number,
  duration: number,
  key?: string,
  pid?: number,
): Promise<Figures> {
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    url,
    connections,
    duration,
    headers: key === undefined ? {} : { 'x-api-key': key },
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    cpuMs: ((cpuSeconds(pid) - cpuBefore) * 1000) / result.requests.total,
    non2xx: result.non2xx,
    requests: result.requests.total,
    dbPerRequest: Number.NaN,
    statuses: Object.entries(result.statusCodeStats as Record<string, { count: number }>)
      .map(([status, { count }]) => `${status}:${count}`)
      .join(' '),
    errors: result.errors + result.timeouts,
  };
}

interface Build {
  label: string;
  root: string;
  base: string;
  gateway?: ChildProcess;
  usage: Figures[];
  notFound: Figures[];
}

/** A baseline's name in the table: its folder, or the folder above when that is `dist`. */
function buildLabel(dir: string): string {
  const path = resolvePath(dir);
  return (basename(path) === 'dist' ? basename(dirname(path)) : basename(path)).slice(0, 10);
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function row(...cells: string[]): string {
  const widths = [10, 6, 11, 12, 9, 8, 9, 10, 7, 5, 9];
  return `${cells.map((cell, i) => cell.padStart(widths[i])).join('  ')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '100' },
      baseline: { type: 'string', multiple: true, default: [] },
      'no-redis': { type: 'boolean', default: false },
      profile: { type: 'string' },
      only: { type: 'string' },
      simultaneous: { type: 'boolean', default: false },
    },
  });
  if (values.only !== undefined && values.only !== 'usage' && values.only !== '404') {
    throw new Error(`--only takes usage or 404, not ${values.only}`);
  }
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
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl.toString(),
    HOST: '127.0.0.1',
    TIERS: BENCH_TIER,
    IP_RATE_LIMIT_RPS: '0',
    ...(values['no-redis']
      ? {}
      : {
          REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          RATE_LIMIT_REDIS_PREFIX: `${name}:`,
        }),
  };
  const builds: Build[] = [
    { label: 'this', root: BUILD_ROOT, base: '', usage: [], notFound: [] },
    ...values.baseline.map((dir) => ({
      label: buildLabel(dir),
      root: resolvePath(dir),
      base: '',
      usage: [],
      notFound: [],
    })),
  ];
  try {
    await runNode(BUILD_ROOT, ['scripts', 'migrate.js'], env, ['run']);
    const key = (
      await runNode(BUILD_ROOT, ['src', 'cli', 'keys.js'], env, [
        'create',
        '--name',
        'bench',
        '--tier',
        'bench',
        '--scopes',
        'ocr',
      ])
    ).trim();
    for (const build of builds) {
      const port = await freePort();
      // The gateway logs every request, as in production; its lines are discarded unread.
      const profile =
        values.profile === undefined
          ? []
          : ['--cpu-prof', `--cpu-prof-dir=${join(resolvePath(values.profile), build.label)}`];
      build.gateway = spawn(process.execPath, [...profile, join(build.root, 'src', 'main.js')], {
        env: { ...env, PORT: String(port), WORKER_PORT: String(await freePort()) },
        stdio: 'ignore',
      });
      build.base = `http://127.0.0.1:${port}`;
      await waitForHealth(build.base, build.gateway);
      // Warm-up: the first verification pays bcrypt, JIT and connection set-up.
      await drive(`${build.base}/api/v1/usage`, 10, 2, key);
      await drive(`${build.base}/nonexistent`, 10, 2);
    }

    process.stdout.write(
      `gateway bench: ${connections} connections, ${duration} s per run, ${rounds} rounds, ` +
        `rate limits ${values['no-redis'] ? 'in process' : 'in Redis'}; load ${load()}\n`,
    );
    // db: database statements per request (sequential runs only);
    // cpu: the gateway's CPU ms per request; cpu ratio: 404 cpu / usage cpu, the req/s ratio the
    // gateway alone would reach when CPU-bound, less sensitive to what else runs on the machine.
    process.stdout.write(
      row(
        'build',
        'round',
        'usage req/s',
        'usage p99 ms',
        'usage cpu',
        'usage db',
        '404 req/s',
        '404 p99 ms',
        '404 cpu',
        'ratio',
        'cpu ratio',
      ),
    );
    // Committed transactions of the bench database: every statement of the gateway is one.
    const transactions = async (): Promise<number> =>
      Number(
        (
          await admin.query<{ n: string }>(
            'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
            [name],
          )
        ).rows[0]?.n ?? Number.NaN,
      );
    const driveRoute = async (build: Build, route: 'usage' | '404'): Promise<Figures> => {
      if (values.only !== undefined && values.only !== route) {
        return NOT_DRIVEN;
      }
      const before = await transactions();
      const figures =
        route === 'usage'
          ? await drive(`${build.base}/api/v1/usage`, connections, duration, key, build.gateway?.pid)
          : await drive(`${build.base}/nonexistent`, connections, duration, undefined, build.gateway?.pid);
      // Statistics reach pg_stat_database within about a second of the statements; a build running
      // at the same time as another shares the database, so its count is not its own.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await transactions();
      return {
        ...figures,
        dbPerRequest: values.simultaneous ? Number.NaN : (after - before) / figures.requests,
      };
    };
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? builds : [...builds].reverse();
      const figures = new Map<Build, { usage: Figures; notFound: Figures }>();
      if (values.simultaneous) {
        // Every build's gateway driven at once, each by its own connections: the same moment of
        // the machine for all, so that their CPU per request compares pair by pair.
        const usages = await Promise.all(order.map((build) => driveRoute(build, 'usage')));
        const notFounds = await Promise.all(order.map((build) => driveRoute(build, '404')));
        order.forEach((build, i) => figures.set(build, { usage: usages[i], notFound: notFounds[i] }));
      } else {
        for (const build of order) {
          const usage = await driveRoute(build, 'usage');
          figures.set(build, { usage, notFound: await driveRoute(build, '404') });
        }
      }
      for (const build of order) {
        const { usage, notFound } = figures.get(build) as { usage: Figures; notFound: Figures };
        if (usage.non2xx > 0 || usage.errors > 0 || notFound.errors > 0) {
          process.stdout.write(
            `  (${build.label} round ${round}: usage non-2xx ${usage.non2xx} (${usage.statuses}), errors ${usage.errors + notFound.errors})\n`,
          );
        }
        build.usage.push(usage);
        build.notFound.push(notFound);
        process.stdout.write(
          row(
            build.label,
            String(round),
            usage.rps.toFixed(0),
            String(usage.p99),
            usage.cpuMs.toFixed(3),
            usage.dbPerRequest.toFixed(3),
            notFound.rps.toFixed(0),
            String(notFound.p99),
            notFound.cpuMs.toFixed(3),
            (usage.rps / notFound.rps).toFixed(2),
            (notFound.cpuMs / usage.cpuMs).toFixed(2),
          ),
        );
      }
    }
    for (const build of builds) {
      const ratios = build.usage.map((usage, i) => usage.rps / build.notFound[i].rps);
      const cpuRatios = build.usage.map((usage, i) => build.notFound[i].cpuMs / usage.cpuMs);
      process.stdout.write(
        row(
          build.label,
          'median',
          median(build.usage.map((f) => f.rps)).toFixed(0),
          String(median(build.usage.map((f) => f.p99))),
          median(build.usage.map((f) => f.cpuMs)).toFixed(3),
          median(build.usage.map((f) => f.dbPerRequest)).toFixed(3),
          median(build.notFound.map((f) => f.rps)).toFixed(0),
          String(median(build.notFound.map((f) => f.p99))),
          median(build.notFound.map((f) => f.cpuMs)).toFixed(3),
          median(ratios).toFixed(2),
          median(cpuRatios).toFixed(2),
        ),
      );
    }
    // Pair by pair (the same round): how much more CPU a request costs each baseline than this build.
    const [self, ...baselines] = builds;
    for (const baseline of baselines) {
      const paired = (pick: (build: Build) => Figures[]): string =>
        median(pick(baseline).map((figures, i) => figures.cpuMs / pick(self)[i].cpuMs)).toFixed(3);
      process.stdout.write(
        `${baseline.label} cpu per request / this build's, median of the rounds: usage ` +
          `${paired((build) => build.usage)}, 404 ${paired((build) => build.notFound)}\n`,
      );
    }
    process.stdout.write(`load ${load()}\n`);
  } finally {
    for (const { gateway } of builds) {
      gateway?.kill('SIGTERM');
      if (gateway && gateway.exitCode === null) {
        await new Promise((done) => gateway.once('exit', done));
      }
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:gateway failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
