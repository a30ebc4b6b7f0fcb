import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode, type CliResult } from './keys';
import { BUILD_DIR, built, ROOT } from './paths';
import { freePort, spawnBuilt, spawnCommand, TEST_MODEL_CACHE_DIR, type ManagedProcess } from './processes';

/**
 * Helpers for the specs of `npm start`'s supervisor: an installation of its own (data directory,
 * ports), the supervisor started through the real npm script or directly, its children's pids,
 * and the order in which they go away.
 */

export interface Installation {
  /** Throwaway parent of `data/` (and of the npm checkout). */
  root: string;
  /** The installation's state: postgres/, postgres.password, instance.lock, first-admin-key. */
  dataDir: string;
  env: Record<string, string>;
  baseUrl: string;
  cleanup(): void;
}

export async function createInstallation(extraEnv: Record<string, string> = {}): Promise<Installation> {
  const root = mkdtempSync(join(tmpdir(), 'ocr-supervisor-'));
  chmodSync(root, 0o755); // as root the embedded server runs as `postgres`
  const port = await freePort();
  const env = {
    EMBEDDED_PG_DIR: join(root, 'data', 'postgres'),
    EMBEDDED_PG_PORT: String(await freePort()),
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKER_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    MODEL_CACHE_DIR: TEST_MODEL_CACHE_DIR,
    // Only the shutdown writes last_used_at, so a spec sees whether that final write landed.
    KEY_LAST_USED_FLUSH_MS: '600000',
    ...extraEnv,
  };
  return {
    root,
    dataDir: join(root, 'data'),
    env,
    baseUrl: `http://127.0.0.1:${port}`,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * A checkout for `npm start`: links to the repository's package.json, tsconfig and sources, and
 * `dist` linked to the test build, so the npm script runs exactly as written against that build.
 * START_SKIP_BUILD=1 skips its build step; a build that did run here would remove only the link
 * and then fail (no tsconfig.build.json): never the test build.
 */
export function npmCheckout(installation: Installation): string {
  const dir = join(installation.root, 'checkout');
  mkdirSync(dir, { recursive: true });
  for (const name of ['package.json', 'tsconfig.json', 'src', 'scripts', 'libs', 'node_modules']) {
    symlinkSync(join(ROOT, name), join(dir, name));
  }
  symlinkSync(BUILD_DIR, join(dir, 'dist'));
  return dir;
}

/** `npm start` in `checkout`, in a process group of its own (the way a terminal runs it). */
export function npmStart(
  installation: Installation,
  checkout: string,
  options: { skipBuild?: boolean; name?: string } = {},
): ManagedProcess {
  const env = { ...installation.env, ...(options.skipBuild === false ? {} : { START_SKIP_BUILD: '1' }) };
  return spawnCommand(options.name ?? 'npm start', 'npm', ['start'], env, { cwd: checkout, detached: true });
}

/** The compiled supervisor run directly, in a process group of its own. */
export function startSupervisor(installation: Installation): ManagedProcess {
  return spawnBuilt('supervisor', ['scripts', 'start.js'], installation.env, [], { detached: true });
}

export async function waitForOutput(
  process: ManagedProcess,
  pattern: RegExp,
  timeoutMs = 120_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = process.output().match(pattern);
    if (match) {
      return match;
    }
    if (!process.isRunning()) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${pattern} in the output of ${process.name}:\n${process.output().slice(-4000)}`);
}

/** The pid in the installation's lock: the supervisor (under npm, the shell it was exec'd from). */
export function lockHolderPid(installation: Installation): number {
  return (JSON.parse(readFileSync(join(installation.dataDir, 'instance.lock'), 'utf8')) as { pid: number })
    .pid;
}

export interface Children {
  gateway: number;
  worker: number;
  postgres: number;
}

/** The supervisor's children, by what they run. */
export function childrenOf(supervisorPid: number): Children {
  const lines = execFileSync('pgrep', ['-a', '-P', String(supervisorPid)], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim() !== '');
  const pidOf = (test: (command: string) => boolean, what: string): number => {
    const line = lines.find((candidate) => test(candidate.slice(candidate.indexOf(' ') + 1)));
    if (!line) {
      throw new Error(`no child of ${supervisorPid} runs ${what}:\n${lines.join('\n')}`);
    }
    return Number(line.trim().split(' ')[0]);
  };
  return {
    gateway: pidOf((command) => command.endsWith(` ${built('src', 'main.js')}`), 'the gateway'),
    worker: pidOf((command) => command.endsWith(` ${built('ocr-worker', 'src', 'main.js')}`), 'the worker'),
    postgres: pidOf((command) => /\/postgres -D /.test(command), 'postgres'),
  };
}

/** Gone: no such process, or a zombie nobody has reaped yet. */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * Watches `pids` every 10 ms; resolves with the time (ms since the call) at which each was gone,
 * or rejects after `timeoutMs` naming those still running.
 */
export function watchExits<T extends Record<string, number>>(
  pids: T,
  timeoutMs = 60_000,
): Promise<Record<keyof T, number>> {
  const since = Date.now();
  const goneAt: Partial<Record<keyof T, number>> = {};
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      for (const name of Object.keys(pids) as (keyof T)[]) {
        if (goneAt[name] === undefined && isGone(pids[name])) {
          goneAt[name] = Date.now() - since;
        }
      }
      const running = (Object.keys(pids) as (keyof T)[]).filter((name) => goneAt[name] === undefined);
      if (running.length === 0) {
        clearInterval(timer);
        resolve(goneAt as Record<keyof T, number>);
      } else if (Date.now() - since > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`still running after ${timeoutMs} ms: ${running.join(', ')}`));
      }
    }, 10);
  });
}

/** `npm run --silent keys -- …` as npm runs it: the compiled CLI, in the installation's environment. */
export function keysCli(installation: Installation, args: string[]): Promise<CliResult> {
  return runNode(built('src', 'cli', 'keys.js'), args, installation.env);
}

/** The LAST USED column of `keys list` for each key id. */
export function lastUsedById(listing: string): Map<string, string> {
  const [header, ...rows] = listing.split('\n').filter((line) => line.trim() !== '');
  const column = header.indexOf('LAST USED');
  return new Map(rows.map((row) => [row.split(' ')[0], row.slice(column).split(' ')[0]]));
}
