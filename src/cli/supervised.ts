import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';

/**
 * One child process of `npm start` (or of a command that needs the embedded database for a
 * while): started in a session of its own, so a terminal's Ctrl-C reaches only the supervisor,
 * which stops the children in its order; made ready-or-failed truthfully (its ports are checked
 * free first, then its readiness probe must answer); restarted with a growing delay when it dies;
 * given up on after repeated failed starts; and stopped with a sequence of signals.
 *
 * A child in its own session outlives a supervisor that dies without stopping it (SIGKILL, a
 * crash), so each child is also told when the supervisor is gone (`OrphanGuard`).
 */

/** A TCP address a child listens on: it must be free before the child starts. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * How a child learns that its supervisor died. `lifeline`: a Node.js program, started with
 * `--require` of ./lifeline, which shuts itself down (SIGTERM to itself) when the pipe on its fd 3
 * reaches end-of-file: the kernel closes the supervisor's end however the supervisor dies.
 * `signal`: any other program, sent `signal` by the kernel when the supervisor dies (Linux
 * `PR_SET_PDEATHSIG`, through util-linux's `setpriv`; without setpriv there is no guard).
 */
export type OrphanGuard = { kind: 'lifeline' } | { kind: 'signal'; signal: NodeJS.Signals };

/** How to run one child process; built afresh for each (re)start. */
export interface ChildCommand {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Run as this user and group (root runs the embedded PostgreSQL as `postgres`). */
  uid?: number;
  gid?: number;
  /** A file descriptor for its stdout and stderr; default: the supervisor's own. */
  output?: number;
  orphanGuard: OrphanGuard;
}

/** One signal of a stop sequence, and how long to wait for the exit before the next. */
export interface StopStep {
  signal: NodeJS.Signals;
  waitMs: number;
}

export interface SupervisedOptions {
  name: string;
  command: () => ChildCommand;
  /** Checked free before each start: a port held by another program is reported as such. */
  endpoints: readonly Endpoint[];
  /** Polled after each start until it resolves true: then the child is ready. */
  ready: () => Promise<boolean>;
  readyTimeoutMs: number;
  /** A graceful stop; SIGKILL follows the last step. `forceStop` skips the first step. */
  stopSteps: readonly StopStep[];
  /** Restart it when it exits (a supervisor), or not (a command's temporary server). */
  restart: boolean;
  /** An exit status that means "fix the configuration": never restarted. */
  configErrorExitCode?: number;
  /** A line for the operator, with its structured fields. */
  report: (message: string, fields?: Record<string, unknown>) => void;
  /** Delay before a restart after a quick crash: doubling from `firstMs` up to `maxMs` (default 1 s to 10 s). */
  backoff?: { firstMs: number; maxMs: number };
  /** After the first start succeeded: it exited for good (gave up restarting, or restart is off). */
  onGiveUp?: (reason: string) => void;
}

/** Starts that fail in a row (exit or time out before ready) before the supervisor gives up. */
export const MAX_FAILED_STARTS = 5;
const DEFAULT_BACKOFF = { firstMs: 1000, maxMs: 10_000 };
/** A child that ran this long after it was ready is healthy again: its next crash restarts at once. */
const STABLE_AFTER_MS = 30_000;
const READY_POLL_MS = 200;

export class SupervisionError extends Error {
  override name = 'SupervisionError';
}

export class Supervised {
  private child?: ChildProcess;
  private launchedAt = 0;
  private readyAt?: number;
  private everReady = false;
  private failedStarts = 0;
  private quickCrashes = 0;
  private restarts = 0;
  private exitedAt?: number;
  private restartTimer?: NodeJS.Timeout;
  /** Why the supervisor itself ended the current child, when it did (a start timeout). */
  private killedFor?: string;
  private stopping = false;
  private firstStart?: { resolve: () => void; reject: (error: Error) => void };
  private stopped?: Promise<void>;

  constructor(readonly options: SupervisedOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves once the child is ready; rejects when it cannot be started (or is stopped first). */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.firstStart = { resolve, reject };
      void this.launch();
    });
  }

  /** The stop sequence (SIGCONT after each signal, for a frozen child); resolves once it is gone. */
  stop(): Promise<void> {
    return this.halt(this.options.stopSteps);
  }

  /** Like `stop`, without its first, graceful step: for a second Ctrl-C. */
  forceStop(): Promise<void> {
    this.stopped = undefined;
    return this.halt(this.options.stopSteps.slice(1));
  }

  private halt(steps: readonly StopStep[]): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.firstStart?.reject(new SupervisionError(`${this.name} was stopped before it was ready`));
    this.firstStart = undefined;
    const child = this.child;
    if (!child || !isRunning(child)) {
      return Promise.resolve();
    }
    this.stopped ??= terminate(child, steps);
    return this.stopped;
  }

  private async launch(): Promise<void> {
    if (this.stopping) {
      return;
    }
    const taken = await firstInUse(this.options.endpoints);
    if (this.stopping) {
      return;
    }
    if (taken) {
      const reason = `${this.name} cannot start: ${taken.host}:${taken.port} is already in use by another program`;
      // At the very first start the port is someone else's: retrying will not help.
      this.failedStart(reason, this.restarts === 0 && !this.everReady);
      return;
    }
    const spec = this.options.command();
    const { command, args } = withOrphanGuard(spec);
    const output = spec.output ?? 'inherit';
    const stdio: ('ignore' | 'inherit' | 'pipe' | number)[] = ['ignore', output, output];
    if (spec.orphanGuard.kind === 'lifeline') {
      stdio.push('pipe');
    }
    this.launchedAt = Date.now();
    this.readyAt = undefined;
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        env: spec.env,
        uid: spec.uid,
        gid: spec.gid,
        stdio,
        // Its own session and process group: the terminal's signals reach the supervisor only.
        detached: true,
      });
    } catch (error) {
      // E.g. EPERM for a uid it may not take: what a failed start is.
      this.failedStart(`${this.name} could not be run: ${(error as Error).message}`, false);
      return;
    }
    this.child = child;
    const lifeline = child.stdio[3] as Socket | null | undefined;
    // Nothing is ever written on it; it only has to stay open while the supervisor lives.
    lifeline?.resume();
    lifeline?.unref();
    child.once('error', (error) => {
      if (child.pid === undefined) {
        this.exited(child, null, null, `could not be run: ${error.message}`);
      }
    });
    child.once('exit', (code, signalName) => this.exited(child, code, signalName));
    if (child.pid !== undefined) {
      void this.awaitReady(child);
    }
  }

  private async awaitReady(child: ChildProcess): Promise<void> {
    const deadline = this.launchedAt + this.options.readyTimeoutMs;
    while (this.child === child && isRunning(child) && !this.stopping) {
      if (await this.options.ready().catch(() => false)) {
        if (this.child === child && isRunning(child) && !this.stopping) {
          this.becameReady(child);
        }
        return;
      }
      if (Date.now() >= deadline) {
        this.killedFor = `did not become ready within ${Math.round(this.options.readyTimeoutMs / 1000)} s`;
        await terminate(child, this.options.stopSteps);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  }

  private becameReady(child: ChildProcess): void {
    this.readyAt = Date.now();
    this.failedStarts = 0;
    const seconds = ((this.readyAt - (this.exitedAt ?? this.launchedAt)) / 1000).toFixed(1);
    if (this.everReady) {
      this.options.report(`${this.name} ready again, ${seconds} s after it exited`, {
        child: this.name,
        childPid: child.pid,
        restart: this.restarts,
      });
    }
    this.everReady = true;
    this.firstStart?.resolve();
    this.firstStart = undefined;
  }

  private exited(
    child: ChildProcess,
    code: number | null,
    signalName: NodeJS.Signals | null,
    why?: string,
  ): void {
    if (child !== this.child) {
      return;
    }
    const wasReady = this.readyAt !== undefined;
    const ranMs = wasReady ? Date.now() - (this.readyAt as number) : 0;
    this.child = undefined;
    this.readyAt = undefined;
    this.exitedAt = Date.now();
    const killedFor = this.killedFor;
    this.killedFor = undefined;
    if (this.stopping) {
      return;
    }
    const how = why ?? `exited (${signalName ?? `code ${code}`})`;
    if (code !== null && code === this.options.configErrorExitCode) {
      this.giveUp(`${this.name} refused its configuration (exit status ${code}; see its output above)`);
      return;
    }
    if (!this.options.restart) {
      this.giveUp(`${this.name} ${how}`);
      return;
    }
    if (!wasReady) {
      this.failedStart(`${this.name} ${killedFor ?? `${how} before it was ready`}`, false);
      return;
    }
    this.quickCrashes = ranMs >= STABLE_AFTER_MS ? 0 : this.quickCrashes + 1;
    this.scheduleRestart(`${this.name} ${how}`);
  }

  private failedStart(reason: string, fatal: boolean): void {
    this.failedStarts += 1;
    if (fatal || this.failedStarts >= MAX_FAILED_STARTS) {
      this.giveUp(
        fatal
          ? reason
          : `${reason}; ${this.name} failed to start ${this.failedStarts} times in a row, giving up`,
      );
      return;
    }
    this.quickCrashes += 1;
    this.scheduleRestart(reason, ` (attempt ${this.failedStarts + 1} of ${MAX_FAILED_STARTS})`);
  }

  private scheduleRestart(reason: string, attempt = ''): void {
    const { firstMs, maxMs } = this.options.backoff ?? DEFAULT_BACKOFF;
    const delay = this.quickCrashes === 0 ? 0 : Math.min(firstMs * 2 ** (this.quickCrashes - 1), maxMs);
    this.options.report(`${reason}; restarting${delay > 0 ? ` in ${delay / 1000} s` : ''}${attempt}`, {
      child: this.name,
      restartInMs: delay,
    });
    this.restartTimer = setTimeout(() => {
      this.restarts += 1;
      void this.launch();
    }, delay);
  }

  private giveUp(reason: string): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.firstStart) {
      this.firstStart.reject(new SupervisionError(reason));
      this.firstStart = undefined;
      return;
    }
    this.options.onGiveUp?.(reason);
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Sends each step's signal until the child exits, SIGKILL last; resolves once it is gone. */
async function terminate(child: ChildProcess, steps: readonly StopStep[]): Promise<void> {
  const gone = new Promise<void>((resolve) => {
    if (!isRunning(child)) {
      resolve();
    }
    child.once('exit', () => resolve());
  });
  for (const step of [...steps, { signal: 'SIGKILL' as const, waitMs: Infinity }]) {
    if (!isRunning(child)) {
      break;
    }
    signal(child, step.signal);
    if (await within(gone, step.waitMs)) {
      break;
    }
  }
  await gone;
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  child.kill(name);
  if (name !== 'SIGKILL') {
    // A frozen (SIGSTOPped) child acts on the signal only once it runs again.
    child.kill('SIGCONT');
  }
}

/** True when `promise` settles within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  if (ms === Infinity) {
    await promise;
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

/** The first endpoint that another socket already holds; a bind error other than "in use" is the child's to report. */
async function firstInUse(endpoints: readonly Endpoint[]): Promise<Endpoint | undefined> {
  for (const endpoint of endpoints) {
    const inUse = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
      server.listen({ host: endpoint.host, port: endpoint.port, exclusive: true }, () =>
        server.close(() => resolve(false)),
      );
    });
    if (inUse) {
      return endpoint;
    }
  }
  return undefined;
}

/** The command line with its orphan guard: setpriv in front of a program that gets a death signal. */
function withOrphanGuard(spec: ChildCommand): { command: string; args: readonly string[] } {
  if (spec.orphanGuard.kind === 'signal') {
    const setpriv = setprivPath();
    if (setpriv !== undefined) {
      const signalName = spec.orphanGuard.signal.replace(/^SIG/, '');
      return { command: setpriv, args: ['--pdeathsig', signalName, '--', spec.command, ...spec.args] };
    }
  }
  return { command: spec.command, args: spec.args };
}

let setpriv: { path?: string } | undefined;

/** util-linux's setpriv when it is on PATH and knows `--pdeathsig` (2.33 and later). */
function setprivPath(): string | undefined {
  setpriv ??= { path: findSetpriv() };
  return setpriv.path;
}

function findSetpriv(): string | undefined {
  if (process.platform !== 'linux') {
    return undefined;
  }
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const probe = spawnSync(candidate, ['--pdeathsig', 'TERM', '--', process.execPath, '-e', ''], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return probe.status === 0 ? candidate : undefined;
  }
  return undefined;
}

/** A Node.js child guarded by the lifeline (see ./lifeline). */
export function nodeChild(entry: string, env: NodeJS.ProcessEnv): ChildCommand {
  return {
    command: process.execPath,
    args: ['--require', join(__dirname, 'lifeline.js'), entry],
    env,
    orphanGuard: { kind: 'lifeline' },
  };
}
