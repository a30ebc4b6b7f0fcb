import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built } from './support/paths';
import {
  freePort,
  ManagedProcess,
  spawnBuilt,
  stopAll,
  TEST_MODEL_CACHE_DIR,
  waitForHttp,
  waitForPort,
} from './support/processes';

// Real processes on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(180_000);

/**
 * `npm start`'s supervisor, compiled, with no DATABASE_URL: it creates the embedded PostgreSQL
 * server in a throwaway data directory, migrates it, prints the first admin key once, runs the
 * worker and the gateway, restarts a killed worker, and stops everything on a signal.
 */
describe('npm start supervisor', () => {
  let dataParent: string;
  let env: Record<string, string>;
  let baseUrl: string;

  beforeAll(async () => {
    dataParent = mkdtempSync(join(tmpdir(), 'ocr-supervisor-'));
    chmodSync(dataParent, 0o755); // as root the embedded server runs as `postgres`
    const port = await freePort();
    env = {
      EMBEDDED_PG_DIR: join(dataParent, 'data', 'postgres'),
      EMBEDDED_PG_PORT: String(await freePort()),
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      MODEL_CACHE_DIR: TEST_MODEL_CACHE_DIR,
    };
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await stopAll();
    rmSync(dataParent, { recursive: true, force: true });
  });

  async function waitForOutput(
    supervisor: ManagedProcess,
    pattern: RegExp,
    timeoutMs = 120_000,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = supervisor.output().match(pattern);
      if (match) {
        return match;
      }
      if (!supervisor.isRunning()) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no ${pattern} in the supervisor's output:\n${supervisor.output().slice(-4000)}`);
  }

  /** The pid of the supervisor's child running the compiled entry point `script`. */
  function childPid(supervisor: ManagedProcess, script: string[]): number {
    const entry = built(...script);
    const lines = execFileSync('pgrep', ['-a', '-P', String(supervisor.child.pid)], {
      encoding: 'utf8',
    }).split('\n');
    const line = lines.find((candidate) => candidate.trim().endsWith(` ${entry}`));
    if (!line) {
      throw new Error(`no child runs ${entry}:\n${lines.join('\n')}`);
    }
    return Number(line.trim().split(' ')[0]);
  }

  async function portClosed(port: number): Promise<boolean> {
    try {
      await waitForPort(port, { timeoutMs: 200 });
      return false;
    } catch {
      return true;
    }
  }

  let adminKey: string;

  it('should start everything on a fresh data directory and print one admin key', async () => {
    const supervisor = spawnBuilt('supervisor', ['scripts', 'start.js'], env);
    const [, key] = await waitForOutput(supervisor, /^ {4}(ocr_[a-z0-9]+_[A-Za-z0-9_-]{43,})$/m);
    adminKey = key;
    await waitForOutput(supervisor, /gateway listening on/);
    expect(supervisor.output()).toContain('applied migrations: InitialSchema1764288000000');
    expect(existsSync(join(dataParent, 'data', 'postgres', 'PG_VERSION'))).toBe(true);

    const keys = await fetch(`${baseUrl}/admin/v1/keys`, { headers: { 'X-API-Key': adminKey } });
    expect(keys.status).toBe(200);
    const listing = (await keys.json()) as { items: { scopes: string[] }[] };
    expect(listing.items).toHaveLength(1);
    expect(listing.items[0].scopes).toEqual(expect.arrayContaining(['admin', 'ocr']));
    // The plaintext appears once: in the banner, nowhere in the children's logs.
    expect(supervisor.output().split(adminKey)).toHaveLength(2);

    await waitForHttp(`${baseUrl}/health`, {
      process: supervisor,
      accept: (status) => status === 200,
      timeoutMs: 120_000,
    });

    // A crashed worker comes back within seconds; the gateway reports it down meanwhile.
    const workerPid = childPid(supervisor, ['ocr-worker', 'src', 'main.js']);
    process.kill(workerPid, 'SIGKILL');
    await waitForOutput(supervisor, /worker exited \(SIGKILL\); restarting/, 10_000);
    await waitForHttp(`${baseUrl}/health`, {
      process: supervisor,
      accept: (status) => status === 200,
      timeoutMs: 120_000,
    });
    expect(childPid(supervisor, ['ocr-worker', 'src', 'main.js'])).not.toBe(workerPid);

    // A crashed gateway too.
    const gatewayPid = childPid(supervisor, ['src', 'main.js']);
    process.kill(gatewayPid, 'SIGKILL');
    await waitForOutput(supervisor, /gateway exited \(SIGKILL\); restarting/, 10_000);
    await waitForHttp(`${baseUrl}/health`, {
      process: supervisor,
      accept: (status) => status === 200,
      timeoutMs: 60_000,
    });

    supervisor.child.kill('SIGTERM');
    const { code } = await supervisor.exited;
    expect(code).toBe(0);
    expect(supervisor.output()).toContain('[start] stopped');
    expect(await portClosed(Number(env.PORT))).toBe(true);
    expect(await portClosed(Number(env.WORKER_PORT))).toBe(true);
    expect(await portClosed(Number(env.EMBEDDED_PG_PORT))).toBe(true);
  });

  it('should reuse the data on the next start, without a new key, and stop cleanly on Ctrl-C', async () => {
    const supervisor = spawnBuilt('supervisor', ['scripts', 'start.js'], env, [], { detached: true });
    await waitForOutput(supervisor, /gateway listening on/);
    expect(supervisor.output()).toContain('database schema is up to date');
    expect(supervisor.output()).not.toContain('admin API key was created');
    const keys = await fetch(`${baseUrl}/admin/v1/keys`, { headers: { 'X-API-Key': adminKey } });
    expect(keys.status).toBe(200);

    // A terminal's Ctrl-C signals the whole foreground process group, children included.
    process.kill(-(supervisor.child.pid as number), 'SIGINT');
    const { code } = await supervisor.exited;
    expect(code).toBe(0);
    expect(await portClosed(Number(env.PORT))).toBe(true);
    expect(await portClosed(Number(env.WORKER_PORT))).toBe(true);
    expect(await portClosed(Number(env.EMBEDDED_PG_PORT))).toBe(true);
  });
});
