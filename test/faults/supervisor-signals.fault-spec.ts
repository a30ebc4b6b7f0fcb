import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { idOf } from '../support/keys';
import { BUILD_DIR } from '../support/paths';
import { stopAll, waitForHttp, type ManagedProcess } from '../support/processes';
import {
  childrenOf,
  createInstallation,
  keysCli,
  lastUsedById,
  lockHolderPid,
  npmCheckout,
  npmStart,
  waitForOutput,
  watchExits,
  type Installation,
} from '../support/supervisor';

// Real processes on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(120_000);

/**
 * `npm start` through the real npm script (its build step skipped with START_SKIP_BUILD=1, against
 * the test build): SIGTERM to the npm process and a terminal's Ctrl-C (SIGINT to the whole process
 * group) both stop the gateway, then the worker, then the embedded PostgreSQL, after the gateway
 * has written last_used_at; and a second `npm start` beside a running one is refused before its
 * build, leaving the first untouched.
 */
describe('npm start under signals', () => {
  let installation: Installation;
  let checkout: string;

  beforeAll(async () => {
    installation = await createInstallation();
    checkout = npmCheckout(installation);
  });

  afterAll(async () => {
    await stopAll();
    installation.cleanup();
  });

  async function started(): Promise<{ npm: ManagedProcess; adminKey: string; since: number }> {
    const npm = npmStart(installation, checkout);
    await waitForOutput(npm, /"msg":"gateway listening on/);
    const adminKey = readFileSync(join(installation.dataDir, 'first-admin-key'), 'utf8').trim();
    const since = Date.now();
    // A use of the key that only the gateway's shutdown writes (KEY_LAST_USED_FLUSH_MS is long).
    const keys = await fetch(`${installation.baseUrl}/admin/v1/keys`, { headers: { 'X-API-Key': adminKey } });
    expect(keys.status).toBe(200);
    return { npm, adminKey, since };
  }

  /** Stops it with `stop`; checks the order, the exit, and that the last use was written. */
  async function expectOrderedStop(
    npm: ManagedProcess,
    adminKey: string,
    since: number,
    stop: () => void,
  ): Promise<Record<string, number>> {
    const supervisor = lockHolderPid(installation);
    const children = childrenOf(supervisor);
    const exits = watchExits({ ...children, supervisor });
    stop();
    const goneAt = await exits;
    await npm.exited;
    // Polled: two exits a few ms apart can fall in one tick; the log lines below prove the order.
    expect(goneAt.gateway).toBeLessThanOrEqual(goneAt.worker);
    expect(goneAt.worker).toBeLessThanOrEqual(goneAt.postgres);
    expect(goneAt.postgres).toBeLessThanOrEqual(goneAt.supervisor);
    const output = npm.output();
    expect(output).toMatch(
      /"msg":"gateway stopped"[^]*"msg":"worker stopped"[^]*"msg":"postgres stopped"[^]*"msg":"stopped"/,
    );
    expect(output).not.toContain('again: stopping everything at once');
    expect(output).not.toContain('Could not record the last use');
    expect(output).not.toMatch(/57P0[13]/);

    // With everything stopped, the keys CLI starts the database for itself and exits cleanly.
    const listing = await keysCli(installation, ['list']);
    expect(listing).toEqual({ code: 0, stdout: expect.stringContaining('bootstrap admin'), stderr: '' });
    const lastUsed = lastUsedById(listing.stdout).get(idOf(adminKey));
    expect(Date.parse(lastUsed ?? '')).toBeGreaterThanOrEqual(since - 1000);
    return goneAt;
  }

  it('should refuse a second npm start before its build, then stop in order on SIGTERM to npm', async () => {
    const { npm, adminKey, since } = await started();
    const holder = lockHolderPid(installation);

    // Its build step is not skipped: a start that got past the lock would run `rm -rf dist`.
    const before = Date.now();
    const second = npmStart(installation, checkout, { skipBuild: false, name: 'second npm start' });
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(Date.now() - before).toBeLessThan(30_000);
    expect(second.output()).toContain(`"msg":"refused: npm start (pid ${holder}, since `);
    expect(second.output()).toContain('Nothing was built or started.');
    expect(second.output()).not.toContain('> secure-ocr-api@0.1.0 build');
    expect(lstatSync(join(checkout, 'dist')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(checkout, 'dist'))).toBe(BUILD_DIR);
    expect(lockHolderPid(installation)).toBe(holder);
    await waitForHttp(`${installation.baseUrl}/health`, { process: npm, timeoutMs: 10_000 });

    const goneAt = await expectOrderedStop(npm, adminKey, since, () => npm.child.kill('SIGTERM'));
    process.stdout.write(`SIGTERM to npm: gone after (ms) ${JSON.stringify(goneAt)}\n`);
  });

  it('should stop in order on a Ctrl-C (SIGINT to the whole process group)', async () => {
    const { npm, adminKey, since } = await started();
    const goneAt = await expectOrderedStop(npm, adminKey, since, () =>
      process.kill(-(npm.child.pid as number), 'SIGINT'),
    );
    process.stdout.write(`SIGINT to the group: gone after (ms) ${JSON.stringify(goneAt)}\n`);
  });
});
