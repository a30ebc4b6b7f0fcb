import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { MAX_FAILED_STARTS, Supervised, type SupervisedOptions } from './supervised';

/**
 * Real child processes (small Node.js programs) under the supervision policy: ready only when the
 * probe answers, a taken port reported as such, restarts, giving up, and the stop sequence.
 */
describe(Supervised.name, () => {
  const running: Supervised[] = [];

  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.stop()));
  });

  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  /** A program that listens on `port` after `delayMs`; `onTerm`: what it does on SIGTERM. */
  function program(
    port: number,
    options: { delayMs?: number; onTerm?: 'exit' | 'ignore'; exitCode?: number } = {},
  ): string {
    const { delayMs = 0, onTerm = 'exit', exitCode } = options;
    if (exitCode !== undefined) {
      return `process.exit(${exitCode})`;
    }
    return `
      process.on('SIGTERM', () => { ${onTerm === 'exit' ? 'process.exit(0)' : ''} });
      setTimeout(() => require('net').createServer().listen(${port}, '127.0.0.1'), ${delayMs});`;
  }

  function supervised(
    port: number,
    code: string | (() => string),
    overrides: Partial<SupervisedOptions> = {},
  ): { child: Supervised; reports: string[]; launches: () => number } {
    const reports: string[] = [];
    let launches = 0;
    const child = new Supervised({
      name: 'child',
      command: () => {
        launches += 1;
        return {
          command: process.execPath,
          args: ['-e', typeof code === 'string' ? code : code()],
          env: process.env,
          orphanGuard: { kind: 'signal', signal: 'SIGTERM' },
        };
      },
      endpoints: [{ host: '127.0.0.1', port }],
      ready: () => accepts(port),
      readyTimeoutMs: 20_000,
      stopSteps: [{ signal: 'SIGTERM', waitMs: 2000 }],
      restart: true,
      backoff: { firstMs: 20, maxMs: 50 },
      report: (message) => reports.push(message),
      ...overrides,
    });
    running.push(child);
    return { child, reports, launches: () => launches };
  }

  async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error('timed out');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function gone(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }

  it('should be ready only once its probe answers, in a session of its own, and restart when killed', async () => {
    const port = await freePort();
    const { child, reports } = supervised(port, program(port, { delayMs: 300 }));
    await child.start();
    expect(await accepts(port)).toBe(true);
    const first = child.pid as number;
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${first}/stat`, 'utf8');
      const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      expect(Number(pgrp)).toBe(first);
      expect(Number(session)).toBe(first);
    }

    process.kill(first, 'SIGKILL');
    await until(() => reports.some((line) => line.startsWith('child ready again')));
    expect(reports[0]).toBe('child exited (SIGKILL); restarting in 0.02 s');
    expect(child.pid).not.toBe(first);

    const second = child.pid as number;
    await child.stop();
    expect(gone(second)).toBe(true);
  });

  it('should refuse at once when another program holds its port, without starting it', async () => {
    const port = await freePort();
    const other: Server = createServer();
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    try {
      const { child, launches } = supervised(port, program(port));
      await expect(child.start()).rejects.toThrow(
        `child cannot start: 127.0.0.1:${port} is already in use by another program`,
      );
      expect(launches()).toBe(0);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it(`should give up after ${MAX_FAILED_STARTS} starts in a row that exit before they are ready`, async () => {
    const port = await freePort();
    const { child, reports, launches } = supervised(port, program(port, { exitCode: 1 }));
    await expect(child.start()).rejects.toThrow(
      `child exited (code 1) before it was ready; child failed to start ${MAX_FAILED_STARTS} times in a row, giving up`,
    );
    expect(launches()).toBe(MAX_FAILED_STARTS);
    expect(reports[0]).toMatch(
      /^child exited \(code 1\) before it was ready; restarting in 0\.02 s \(attempt 2 of 5\)$/,
    );
  });

  it('should not restart a child that refused its configuration', async () => {
    const port = await freePort();
    const { child, launches } = supervised(port, program(port, { exitCode: 78 }), {
      configErrorExitCode: 78,
    });
    await expect(child.start()).rejects.toThrow('child refused its configuration (exit status 78');
    expect(launches()).toBe(1);
  });

  it('should stop a child that does not become ready in time, and count it as a failed start', async () => {
    const port = await freePort();
    let attempt = 0;
    const { child, reports } = supervised(
      port,
      () => {
        attempt += 1;
        return program(port, { delayMs: attempt === 1 ? 60_000 : 0 });
      },
      { readyTimeoutMs: 2000 },
    );
    await child.start();
    expect(reports[0]).toBe('child did not become ready within 2 s; restarting in 0.02 s (attempt 2 of 5)');
  });

  it('should SIGKILL a child that ignores SIGTERM once the wait is over', async () => {
    const port = await freePort();
    const { child } = supervised(port, program(port, { onTerm: 'ignore' }), {
      stopSteps: [{ signal: 'SIGTERM', waitMs: 300 }],
    });
    await child.start();
    const pid = child.pid as number;
    const since = Date.now();
    await child.stop();
    expect(gone(pid)).toBe(true);
    expect(Date.now() - since).toBeGreaterThanOrEqual(250);
  });

  it('should stop a frozen child: the stop signal is followed by SIGCONT', async () => {
    const port = await freePort();
    const { child } = supervised(port, program(port), { stopSteps: [{ signal: 'SIGTERM', waitMs: 10_000 }] });
    await child.start();
    const pid = child.pid as number;
    process.kill(pid, 'SIGSTOP');
    const since = Date.now();
    await child.stop();
    expect(gone(pid)).toBe(true);
    expect(Date.now() - since).toBeLessThan(9000);
  });

  it('should report a child that dies for good when restarts are off', async () => {
    const port = await freePort();
    const gaveUp: string[] = [];
    const { child } = supervised(port, program(port), {
      restart: false,
      onGiveUp: (reason) => gaveUp.push(reason),
    });
    await child.start();
    process.kill(child.pid as number, 'SIGKILL');
    await until(() => gaveUp.length > 0);
    expect(gaveUp).toEqual(['child exited (SIGKILL)']);
  });
});
