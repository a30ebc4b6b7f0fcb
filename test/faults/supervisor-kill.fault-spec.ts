import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { stopAll, type ManagedProcess } from '../support/processes';
import {
  childrenOf,
  createInstallation,
  isGone,
  keysCli,
  lockHolderPid,
  startSupervisor,
  waitForOutput,
  watchExits,
  type Installation,
} from '../support/supervisor';

// Real processes on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(120_000);

/**
 * The supervisor itself failing: SIGKILLed, its children (each in a session of its own) stop by
 * themselves and the next start takes over its stale lock; a port held by another program is
 * reported as such and ends the start instead of a restart loop.
 */
describe('npm start supervisor killed or blocked', () => {
  let installation: Installation;

  beforeAll(async () => {
    installation = await createInstallation();
  });

  afterAll(async () => {
    await stopAll();
    installation.cleanup();
  });

  async function running(): Promise<ManagedProcess> {
    const supervisor = startSupervisor(installation);
    await waitForOutput(supervisor, /"msg":"gateway listening on/);
    return supervisor;
  }

  it('should leave no child running when the supervisor is SIGKILLed', async () => {
    const supervisor = await running();
    const children = childrenOf(supervisor.child.pid as number);
    const exits = watchExits({ ...children }, 60_000);
    supervisor.child.kill('SIGKILL');
    const goneAt = await exits;
    process.stdout.write(`supervisor SIGKILLed: children gone after (ms) ${JSON.stringify(goneAt)}\n`);
    // Its lock stays behind, naming a process that no longer runs.
    expect(isGone(lockHolderPid(installation))).toBe(true);
  });

  it('should take over the stale lock at the next start, and share its database with the keys CLI', async () => {
    const supervisor = await running();
    expect(lockHolderPid(installation)).toBe(supervisor.child.pid);
    const listing = await keysCli(installation, ['list']);
    expect(listing).toEqual({ code: 0, stdout: expect.stringContaining('bootstrap admin'), stderr: '' });
    // The CLI used the running server: it neither stopped it nor took the lock.
    expect(lockHolderPid(installation)).toBe(supervisor.child.pid);
    expect(isGone(childrenOf(supervisor.child.pid as number).postgres)).toBe(false);

    supervisor.child.kill('SIGTERM');
    expect((await supervisor.exited).code).toBe(0);
    expect(existsSync(join(installation.dataDir, 'instance.lock'))).toBe(false);
  });

  it('should report a port held by another program and stop, not restart forever', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen(Number(installation.env.PORT), '127.0.0.1', resolve),
    );
    try {
      const supervisor = startSupervisor(installation);
      const { code } = await supervisor.exited;
      expect(code).toBe(1);
      const output = supervisor.output();
      expect(output).toContain(
        `"msg":"gateway cannot start: 127.0.0.1:${installation.env.PORT} is already in use by another program"`,
      );
      expect(output).not.toContain('gateway listening');
      expect(output).not.toContain('restarting');
      expect(output).toMatch(/"msg":"postgres stopped"[^]*"msg":"stopped"/);
      expect(existsSync(join(installation.dataDir, 'instance.lock'))).toBe(false);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
