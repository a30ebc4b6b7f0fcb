import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopAll, waitForHttp, type ManagedProcess } from '../support/processes';
import {
  childrenOf,
  createInstallation,
  startSupervisor,
  waitForOutput,
  watchExits,
  type Installation,
} from '../support/supervisor';

// Real processes on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(120_000);

/**
 * The embedded PostgreSQL as `npm start`'s supervisor sees it: killed, it is restarted and the
 * gateway answers again without help; frozen, it does not keep the supervisor from stopping.
 */
describe('embedded PostgreSQL under the supervisor', () => {
  let installation: Installation;
  let supervisor: ManagedProcess;
  let adminKey: string;

  beforeAll(async () => {
    installation = await createInstallation();
  });

  afterAll(async () => {
    await stopAll();
    installation.cleanup();
  });

  async function adminAnswers(): Promise<number> {
    const response = await fetch(`${installation.baseUrl}/admin/v1/keys`, {
      headers: { 'X-API-Key': adminKey },
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('should restart a killed PostgreSQL, and the gateway should answer again by itself', async () => {
    supervisor = startSupervisor(installation);
    await waitForOutput(supervisor, /"msg":"gateway listening on/);
    adminKey = readFileSync(join(installation.dataDir, 'first-admin-key'), 'utf8').trim();
    expect(await adminAnswers()).toBe(200);

    const { postgres } = childrenOf(supervisor.child.pid as number);
    const killedAt = Date.now();
    process.kill(postgres, 'SIGKILL');
    await waitForOutput(supervisor, /"msg":"postgres exited \(SIGKILL\); restarting/, 10_000);
    await waitForOutput(
      supervisor,
      /"child":"postgres","childPid":\d+,"restart":1,"msg":"postgres ready again, [\d.]+ s after it exited"/,
      60_000,
    );
    const readyAgainMs = Date.now() - killedAt;
    await waitForHttp(`${installation.baseUrl}/health`, {
      process: supervisor,
      accept: (status) => status === 200,
      timeoutMs: 30_000,
    });
    const deadline = Date.now() + 30_000;
    let status = await adminAnswers();
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await adminAnswers();
    }
    expect(status).toBe(200);
    expect(childrenOf(supervisor.child.pid as number).postgres).not.toBe(postgres);
    process.stdout.write(
      `killed PostgreSQL: ready again after ${readyAgainMs} ms, admin API 200 after ${Date.now() - killedAt} ms\n`,
    );
  });

  it('should still stop everything when PostgreSQL is frozen (SIGSTOP)', async () => {
    const children = childrenOf(supervisor.child.pid as number);
    process.kill(children.postgres, 'SIGSTOP');
    const exits = watchExits({ ...children }, 60_000);
    supervisor.child.kill('SIGTERM');
    const goneAt = await exits;
    const { code } = await supervisor.exited;
    expect(code).toBe(0);
    expect(goneAt.gateway).toBeLessThan(goneAt.postgres);
    expect(goneAt.worker).toBeLessThan(goneAt.postgres);
    process.stdout.write(`frozen PostgreSQL: gone after (ms) ${JSON.stringify(goneAt)}\n`);
  });
});
