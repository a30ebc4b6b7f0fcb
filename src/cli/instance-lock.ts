import {
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AppConfig } from '../config/app-config';

/**
 * One installation (one data directory) is run by one process at a time: `npm start`, or a
 * command (keys, migrate) that starts the embedded database for itself. The lock is a file created
 * atomically (a hard link of a complete temporary file, so nobody reads a half-written one) that
 * names its holder; a holder that no longer runs leaves a stale lock, which the next taker removes.
 *
 * A process id alone could be reused by an unrelated process (the lock survives a reboot, pids
 * wrap); on Linux the holder is also identified by its start time and the boot it ran in.
 */

/** Who holds the lock, as written in the file. */
export interface LockHolder {
  pid: number;
  /** What holds it, for messages: `npm start`, or a command's name. */
  command: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Linux: the process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  startTicks?: string;
  /** Linux: /proc/sys/kernel/random/boot_id of the boot the holder ran in. */
  bootId?: string;
}

export interface LockOptions {
  /** Written into the lock for messages (see LockHolder). */
  command: string;
  /** Whom to take it for; default: this process. */
  pid?: number;
  adoptFrom?: readonly number[];
}

export type LockAttempt = { acquired: true; lock: InstanceLock } | { acquired: false; holder: LockHolder };

/** The command name `npm start`'s supervisor writes; tools write their own. */
export const SUPERVISOR_COMMAND = 'npm start';

/** A breaker file older than this was left by a process that died while breaking a stale lock. */
const BREAKER_STALE_MS = 10_000;

/** The lock of the installation whose state lives beside the embedded server's data directory. */
export function instanceLockFile(config: AppConfig): string {
  return join(dirname(config.database.embedded.dir), 'instance.lock');
}

/** A lock this process holds; `release` removes the file unless someone has since replaced it. */
export class InstanceLock {
  private released = false;

  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {}

  release(): void {
    if (this.released) {
      return;
    }
    this.released = true;
    const current = readHolder(this.file);
    if (current !== undefined && sameHolder(current, this.holder)) {
      rmSync(this.file, { force: true });
    }
  }
}

/**
 * Takes the lock for `pid` (default: this process). A lock already held by `pid`, or by one of
 * `adoptFrom` (the shell that started this process), is taken over: the same start, one step on.
 */
export async function acquireInstanceLock(file: string, options: LockOptions): Promise<LockAttempt> {
  const pid = options.pid ?? process.pid;
  const me = holderFor(pid, options.command);
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 10; attempt += 1) {
    if (create(file, me)) {
      return { acquired: true, lock: new InstanceLock(file, me) };
    }
    const current = readHolder(file);
    if (current === undefined) {
      continue; // removed meanwhile: try again
    }
    if (current.pid === pid && isRunning(current)) {
      return { acquired: true, lock: new InstanceLock(file, current) };
    }
    if (options.adoptFrom?.includes(current.pid) && isRunning(current)) {
      replace(file, me);
      return { acquired: true, lock: new InstanceLock(file, me) };
    }
    if (isRunning(current)) {
      return { acquired: false, holder: current };
    }
    if (!breakStaleLock(file, current)) {
      await new Promise((resolve) => setTimeout(resolve, 50)); // another process is breaking it
    }
  }
  throw new Error(`Could not take the lock ${file}: it keeps changing`);
}

/**
 * `acquireInstanceLock`, retried every 250 ms for up to `timeoutMs` while `retryWhile(holder)`
 * holds: a short command holding the lock is waited for, a running `npm start` is not.
 */
export async function waitForInstanceLock(
  file: string,
  options: LockOptions & { timeoutMs: number; retryWhile: (holder: LockHolder) => boolean },
): Promise<LockAttempt> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const attempt = await acquireInstanceLock(file, options);
    if (attempt.acquired || !options.retryWhile(attempt.holder) || Date.now() >= deadline) {
      return attempt;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** "npm start (pid 4242, since 2026-01-05 09:12:03 UTC)", for messages. */
export function describeHolder(holder: LockHolder): string {
  const since = holder.since.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `${holder.command} (pid ${holder.pid}, since ${since})`;
}

function holderFor(pid: number, command: string): LockHolder {
  return {
    pid,
    command,
    since: new Date().toISOString(),
    startTicks: procStat(pid)?.startTicks,
    bootId: bootId(),
  };
}

/** True when the holder still runs: the same process, not a zombie, not a reused pid. */
export function isRunning(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') {
      return false; // ESRCH: no such process
    }
  }
  const current = bootId();
  if (holder.bootId !== undefined && current !== undefined && holder.bootId !== current) {
    return false;
  }
  const stat = procStat(holder.pid);
  if (stat === undefined) {
    return true; // no /proc (or it just exited): trust the pid
  }
  return stat.state !== 'Z' && (holder.startTicks === undefined || holder.startTicks === stat.startTicks);
}

function create(file: string, holder: LockHolder): boolean {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

function replace(file: string, holder: LockHolder): void {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  renameSync(temporary, file);
}

/**
 * Removes a stale lock, unless it changed since it was judged stale: two processes may find the
 * same stale lock, and the slower one must not remove the lock the faster one has just taken. A
 * breaker file, itself created atomically, lets one of them at a time re-read and remove. False
 * when another process holds the breaker.
 */
function breakStaleLock(file: string, stale: LockHolder): boolean {
  const breaker = `${file}.break`;
  try {
    writeFileSync(breaker, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
    if (ageMs(breaker) > BREAKER_STALE_MS) {
      rmSync(breaker, { force: true });
    }
    return false;
  }
  try {
    const again = readHolder(file);
    if (again !== undefined && sameHolder(again, stale)) {
      unlinkSync(file);
    }
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

/** The holder named in `file`; undefined when there is no file. An unreadable one counts as stale. */
export function readHolder(file: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0) {
      return {
        pid: parsed.pid,
        command: typeof parsed.command === 'string' ? parsed.command : 'unknown',
        since: typeof parsed.since === 'string' ? parsed.since : new Date(0).toISOString(),
        startTicks: typeof parsed.startTicks === 'string' ? parsed.startTicks : undefined,
        bootId: typeof parsed.bootId === 'string' ? parsed.bootId : undefined,
      };
    }
  } catch {
    // fall through: garbage is no holder
  }
  // Not written by this code (files are created complete): a pid that cannot run.
  return { pid: 2 ** 31 - 1, command: 'unknown', since: new Date(0).toISOString() };
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.since === b.since && a.startTicks === b.startTicks;
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function procStat(pid: number): { state: string; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTicks: fields[19] };
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Why `npm start` does not run: another process holds the installation's lock. `nothing` says
 * what was not done ("started", "built or started").
 */
export function startRefusal(holder: LockHolder, file: string, nothing: string): string {
  const dataDir = dirname(file);
  const advice =
    holder.command === SUPERVISOR_COMMAND
      ? `stop it first (Ctrl-C in its terminal, or kill -TERM ${holder.pid})`
      : 'try again once it has finished';
  return `refused: ${describeHolder(holder)} is running on ${dataDir} (lock ${basename(file)}): ${advice}. Nothing was ${nothing}.`;
}
