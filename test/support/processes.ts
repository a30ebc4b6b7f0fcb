import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { built, ROOT } from './paths';

/**
 * Real processes from the build (BUILD_DIR): spawn with env overrides, wait for readiness, stop
 * cleanly, and keep their output for failure messages. Children get a minimal environment (PATH,
 * NODE_PATH, HOME) plus what the caller passes, so the developer's shell does not leak into tests.
 */

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface GatewayProcess extends ManagedProcess {
  readonly port: number;
  readonly url: string;
}

export interface WorkerProcess extends ManagedProcess {
  readonly port: number;
}

const running = new Set<ManagedProcess>();

/**
 * Where test workers keep their rewritten models: beside the build, so one run optimises them once
 * and nothing is written under the checkout's ./data.
 */
export const TEST_MODEL_CACHE_DIR = built('model-cache');

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) {
    throw new Error('could not find a free port');
  }
  return address.port;
}

/** Spawns `node <BUILD_DIR>/<script...>` (a compiled entry point) with a minimal environment. */
export function spawnBuilt(
  name: string,
  script: string[],
  env: Record<string, string | undefined> = {},
  args: string[] = [],
  options: { detached?: boolean } = {},
): ManagedProcess {
  // No script: `args` alone (e.g. `-e <code>`).
  const entry = script.length > 0 ? [built(...script)] : [];
  return spawnCommand(name, process.execPath, [...entry, ...args], env, options);
}

/** Spawns any program (nginx, `npm start`) the same way: minimal environment, output kept, stopped by stopAll; in `cwd` (default: the checkout). */
export function spawnCommand(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { detached?: boolean; cwd?: string; supervisorPipe?: boolean } = {},
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    // Its own process group, so a test can signal the group the way a terminal's Ctrl-C does.
    detached: options.detached ?? false,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // The build may live outside the checkout (BUILD_DIR=/tmp/...): it still needs node_modules.
      NODE_PATH: join(ROOT, 'node_modules'),
      ...env,
    },
    // `supervisorPipe`: a pipe on fd 3, held here, as npm start's children get for the lifeline preload.
    stdio: options.supervisorPipe ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const managed: ManagedProcess = {
    name,
    child,
    output: () => output,
    exited,
    isRunning: () => child.exitCode === null && child.signalCode === null,
    stop: async (graceMs = 10_000) => {
      if (managed.isRunning()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        running.delete(managed);
        return result;
      }
      running.delete(managed);
      return exited;
    },
  };
  running.add(managed);
  return managed;
}

function failure(managed: ManagedProcess, what: string): Error {
  return new Error(`${managed.name}: ${what}\n--- output ---\n${managed.output().slice(-4000)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once something accepts connections on host:port; rejects if `process` exits first or on timeout. */
export async function waitForPort(
  port: number,
  options: { host?: string; timeoutMs?: number; process?: ManagedProcess } = {},
): Promise<void> {
  const { host = '127.0.0.1', timeoutMs = 30_000 } = options;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (options.process && !options.process.isRunning()) {
      throw failure(options.process, `exited before listening on ${port}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) {
      return;
    }
    await sleep(100);
  }
  throw options.process
    ? failure(options.process, `not listening on ${port} after ${timeoutMs} ms`)
    : new Error(`port ${port} not open`);
}

/** Polls `url` until `accept(status)` holds (default: any HTTP answer). */
export async function waitForHttp(
  url: string,
  options: { timeoutMs?: number; process?: ManagedProcess; accept?: (status: number) => boolean } = {},
): Promise<void> {
  const { timeoutMs = 30_000, accept = () => true } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (options.process && !options.process.isRunning()) {
      throw failure(options.process, `exited while waiting for ${url}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      await response.arrayBuffer();
      if (accept(response.status)) {
        return;
      }
      last = `status ${response.status}`;
    } catch {
      last = 'no answer';
    }
    await sleep(150);
  }
  const what = `${url} not ready after ${timeoutMs} ms (${last})`;
  throw options.process ? failure(options.process, what) : new Error(what);
}

/**
 * The compiled gateway on a free port against `databaseUrl` (migrated already: see `migrate`).
 * WORKER_PORT defaults to a port where no worker listens; pass a worker's port to use one.
 * Resolves once it answers HTTP.
 */
export async function startGateway(options: {
  databaseUrl: string;
  workerPort?: number;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}): Promise<GatewayProcess> {
  const port = await freePort();
  const workerPort = options.workerPort ?? (await freePort());
  const gateway = spawnBuilt('gateway', ['src', 'main.js'], {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    WORKER_HOST: '127.0.0.1',
    WORKER_PORT: String(workerPort),
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, { process: gateway, timeoutMs: options.timeoutMs ?? 30_000 });
  return Object.assign(gateway, { port, url });
}

/** The compiled OCR worker (on `port`, else a free one); resolves once it accepts TCP connections. */
export async function startWorker(
  options: { port?: number; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<WorkerProcess> {
  const port = options.port ?? (await freePort());
  const worker = spawnBuilt('worker', ['ocr-worker', 'src', 'main.js'], {
    WORKER_HOST: '127.0.0.1',
    WORKER_PORT: String(port),
    MODEL_CACHE_DIR: TEST_MODEL_CACHE_DIR,
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  await waitForPort(port, { process: worker, timeoutMs: options.timeoutMs ?? 60_000 });
  return Object.assign(worker, { port });
}

/** Runs the compiled migration tool (`run` or `revert`) against `databaseUrl`; rejects with its output on failure. */
export async function migrate(databaseUrl: string, command: 'run' | 'revert' = 'run'): Promise<string> {
  const tool = spawnBuilt(`migrate ${command}`, ['scripts', 'migrate.js'], { DATABASE_URL: databaseUrl }, [
    command,
  ]);
  const { code } = await tool.exited;
  running.delete(tool);
  if (code !== 0) {
    throw failure(tool, `exited with ${code}`);
  }
  return tool.output();
}

/** Stops every process these helpers started and that is still running (for afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((managed) => managed.stop()));
}
