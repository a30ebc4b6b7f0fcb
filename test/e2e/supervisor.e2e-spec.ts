import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built } from '../support/paths';
import {
  freePort,
  ManagedProcess,
  spawnBuilt,
  spawnCommand,
  stopAll,
  TEST_MODEL_CACHE_DIR,
  waitForHttp,
  waitForPort,
} from '../support/processes';
import { createInstallation, lockHolderPid, waitForOutput } from '../support/supervisor';

// Real processes on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(180_000);

/**
 * `npm start`'s supervisor, compiled, with no DATABASE_URL: it creates the embedded PostgreSQL
 * server in a throwaway data directory, migrates it, hands over the first admin key once (to a
 * mode-600 file, as its output here is not a terminal; printed on a terminal), runs the worker and
 * the gateway, restarts a killed worker, and stops everything on a signal.
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

  it('should start everything on a fresh data directory and write one admin key to a private file', async () => {
    const supervisor = spawnBuilt('supervisor', ['scripts', 'start.js'], env);
    await waitForOutput(supervisor, /gateway listening on/);
    const keyFile = join(dataParent, 'data', 'first-admin-key');
    // Not on a terminal: one JSON line that names the file, not the key.
    const [, file] = await waitForOutput(
      supervisor,
      /"file":"([^"]+)","msg":"First start: an admin API key was created and written, readable by you only/,
    );
    expect(file).toBe(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    adminKey = readFileSync(keyFile, 'utf8').trim();
    expect(adminKey).toMatch(/^ocr_[a-z0-9]+_[A-Za-z0-9_-]{43,}$/);
    // The notice comes after the start-up lines, so they do not scroll it away.
    expect(supervisor.output().indexOf('gateway listening on')).toBeLessThan(
      supervisor.output().indexOf('admin API key was created'),
    );
    expect(supervisor.output()).toContain('applied migrations: InitialSchema1764288000000');
    expect(existsSync(join(dataParent, 'data', 'postgres', 'PG_VERSION'))).toBe(true);

    const keys = await fetch(`${baseUrl}/admin/v1/keys`, { headers: { 'X-API-Key': adminKey } });
    expect(keys.status).toBe(200);
    const listing = (await keys.json()) as { items: { scopes: string[] }[] };
    expect(listing.items).toHaveLength(1);
    expect(listing.items[0].scopes).toEqual(expect.arrayContaining(['admin', 'ocr']));
    // The plaintext is in the file only, nowhere in the supervisor's or the children's output.
    expect(supervisor.output()).not.toContain(adminKey);

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
    expect(supervisor.output()).toContain('"service":"supervisor","msg":"stopped"');
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

    // A terminal's Ctrl-C signals the whole foreground process group (the children have their own).
    process.kill(-(supervisor.child.pid as number), 'SIGINT');
    const { code } = await supervisor.exited;
    expect(code).toBe(0);
    expect(await portClosed(Number(env.PORT))).toBe(true);
    expect(await portClosed(Number(env.WORKER_PORT))).toBe(true);
    expect(await portClosed(Number(env.EMBEDDED_PG_PORT))).toBe(true);
  });

  it('should print the first admin key on a terminal, after the start-up lines, and write no file', async () => {
    const installation = await createInstallation();
    try {
      // util-linux's `script` gives the supervisor a terminal (a pseudo-terminal) for its output.
      const command = `exec ${process.execPath} ${built('scripts', 'start.js')}`;
      const terminal = spawnCommand(
        'supervisor on a terminal',
        'script',
        ['-qfec', command, '/dev/null'],
        installation.env,
      );
      const [, key] = await waitForOutput(
        terminal,
        /It is shown ONLY NOW, never again:\r?\n\r?\n {4}(ocr_[a-z0-9]+_[A-Za-z0-9_-]{43,})\r?\n/,
      );
      expect(terminal.output().indexOf('gateway listening on')).toBeLessThan(terminal.output().indexOf(key));
      expect(existsSync(join(installation.dataDir, 'first-admin-key'))).toBe(false);
      const keys = await fetch(`${installation.baseUrl}/admin/v1/keys`, { headers: { 'X-API-Key': key } });
      expect(keys.status).toBe(200);
      process.kill(lockHolderPid(installation), 'SIGTERM');
      expect((await terminal.exited).code).toBe(0);
    } finally {
      installation.cleanup();
    }
  });

  it('should run OCR_WORKERS workers on consecutive ports, the gateway spreading over them, and stop them all', async () => {
    const installation = await createInstallation({ OCR_WORKERS: '2', OCR_LANES: '1' });
    const workerPort = Number(installation.env.WORKER_PORT);
    try {
      const supervisor = spawnBuilt('supervisor', ['scripts', 'start.js'], installation.env);
      await waitForOutput(supervisor, /worker-1 ready on 127\.0\.0\.1:\d+/);
      await waitForOutput(supervisor, /worker-2 ready on 127\.0\.0\.1:\d+/);
      await waitForHttp(`${installation.baseUrl}/health`, {
        process: supervisor,
        accept: (status) => status === 200,
        timeoutMs: 120_000,
      });
      let worker: { workers?: { inService: number; configured: number }; lanes?: number } = {};
      for (let i = 0; i < 50 && worker.workers?.inService !== 2; i += 1) {
        const health = (await (await fetch(`${installation.baseUrl}/health`)).json()) as {
          checks: { worker: typeof worker };
        };
        worker = health.checks.worker;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(worker).toMatchObject({ workers: { inService: 2, configured: 2 }, lanes: 2 });
      process.kill(lockHolderPid(installation), 'SIGTERM');
      expect((await supervisor.exited).code).toBe(0);
      expect(await portClosed(workerPort)).toBe(true);
      expect(await portClosed(workerPort + 1)).toBe(true);
    } finally {
      installation.cleanup();
    }
  });

  it('should pass GATEWAY_PROCESSES to the gateway: a primary with two processes on its port, stopped with the rest', async () => {
    const installation = await createInstallation({ GATEWAY_PROCESSES: '2', OCR_LANES: '1', LOG_LEVEL: 'info' });
    try {
      const supervisor = spawnBuilt('supervisor', ['scripts', 'start.js'], installation.env);
      await waitForOutput(supervisor, /gateway listening on/);
      const primaryLines = (): Array<Record<string, unknown>> =>
        supervisor
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((line) => line.role === 'primary');
      const serving = (): Set<unknown> =>
        new Set(primaryLines().filter((line) => line.msg === 'gateway process listening').map((line) => line.gatewayPid));
      for (let i = 0; i < 300 && serving().size < 2; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const pids = [...serving()] as number[];
      expect(pids).toHaveLength(2);
      expect((await fetch(`${installation.baseUrl}/health/live`)).status).toBe(200);
      // The primary watches the lifeline; its processes leave their fd 3 (the cluster's IPC) alone.
      expect(supervisor.output()).not.toContain('lifeline:');

      process.kill(lockHolderPid(installation), 'SIGTERM');
      expect((await supervisor.exited).code).toBe(0);
      expect(primaryLines()).toContainEqual(expect.objectContaining({ msg: 'gateway processes stopped', code: 0 }));
      for (const pid of pids) {
        expect(() => process.kill(pid, 0)).toThrow();
      }
    } finally {
      installation.cleanup();
    }
  });
});
