import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquireInstanceLock,
  InstanceLock,
  isRunning,
  readHolder,
  waitForInstanceLock,
} from './instance-lock';

describe('instance lock', () => {
  let dir: string;
  let file: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ocr-lock-'));
    file = join(dir, 'data', 'instance.lock');
  });

  afterEach(() => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** A real process that runs until the test ends. */
  async function liveProcess(): Promise<number> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child.pid as number;
  }

  /** The pid of a process that has exited (and been reaped). */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    return child.pid as number;
  }

  async function acquired(options: Parameters<typeof acquireInstanceLock>[1]): Promise<InstanceLock> {
    const attempt = await acquireInstanceLock(file, options);
    if (!attempt.acquired) {
      throw new Error(`held by ${attempt.holder.pid}`);
    }
    return attempt.lock;
  }

  it('should create the lock naming its holder, and remove it on release', async () => {
    const lock = await acquired({ command: 'npm start' });
    expect(readHolder(file)).toMatchObject({ pid: process.pid, command: 'npm start' });
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('should refuse while the holder runs, naming it', async () => {
    const pid = await liveProcess();
    await acquired({ command: 'npm start', pid });
    const attempt = await acquireInstanceLock(file, { command: 'npm start' });
    expect(attempt).toEqual({
      acquired: false,
      holder: expect.objectContaining({ pid, command: 'npm start' }),
    });
  });

  it('should take over a lock whose holder has exited', async () => {
    await acquired({ command: 'npm start', pid: await deadPid() });
    await acquired({ command: 'npm start' });
    expect(readHolder(file)?.pid).toBe(process.pid);
  });

  it('should take over a lock whose pid now belongs to another process', async () => {
    const pid = await liveProcess();
    await acquired({ command: 'npm start', pid });
    const holder = readHolder(file);
    if (holder?.startTicks === undefined) {
      return; // no /proc here: a pid is all there is
    }
    writeFileSync(file, JSON.stringify({ ...holder, startTicks: String(Number(holder.startTicks) - 1) }));
    expect(isRunning(readHolder(file) as NonNullable<typeof holder>)).toBe(false);
    await acquired({ command: 'npm start' });
  });

  it('should hand the lock on from the shell that took it to the process it starts', async () => {
    const shell = await liveProcess();
    await acquired({ command: 'npm start', pid: shell });
    await acquired({ command: 'npm start', adoptFrom: [shell] });
    expect(readHolder(file)?.pid).toBe(process.pid);
  });

  it('should keep its own lock when the same process asks again', async () => {
    const first = await acquired({ command: 'npm start' });
    const again = await acquired({ command: 'npm start' });
    expect(again.holder).toEqual(first.holder);
  });

  it('should treat a lock file it cannot read as stale', async () => {
    await acquired({ command: 'npm start' }).then((lock) => lock.release());
    writeFileSync(file, 'not json');
    await acquired({ command: 'keys' });
    expect(readHolder(file)?.command).toBe('keys');
  });

  it('should not remove a lock that another process took after it', async () => {
    const lock = await acquired({ command: 'npm start' });
    const other = await liveProcess();
    rmSync(file);
    await acquired({ command: 'keys', pid: other });
    lock.release();
    expect(readHolder(file)?.pid).toBe(other);
  });

  it('should break a stale lock left with a breaker file older than 10 s', async () => {
    await acquired({ command: 'npm start', pid: await deadPid() });
    writeFileSync(`${file}.break`, '1\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.break`, old, old);
    await acquired({ command: 'npm start' });
    expect(existsSync(`${file}.break`)).toBe(false);
  });

  it('should wait for a short command that holds the lock, not for npm start', async () => {
    const pid = await liveProcess();
    await acquired({ command: 'keys', pid });
    const waiting = waitForInstanceLock(file, {
      command: 'npm start',
      timeoutMs: 10_000,
      retryWhile: (holder) => holder.command !== 'npm start',
    });
    setTimeout(() => rmSync(file), 300);
    expect((await waiting).acquired).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });

    const refused = await waitForInstanceLock(file, {
      command: 'npm start',
      pid: await liveProcess(),
      timeoutMs: 10_000,
      retryWhile: (holder) => holder.command !== 'npm start',
    });
    expect(refused.acquired).toBe(false);
  });
});
