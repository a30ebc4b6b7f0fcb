import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  spawnBuilt,
  spawnCommand,
  TEST_MODEL_CACHE_DIR,
  waitForPort,
  type ManagedProcess,
} from './processes';

/** The Debian package's binary (`apt-get install nats-server`), as .ci/run installs it. */
export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';

export interface NatsServerProcess extends ManagedProcess {
  url: string;
  maxPayload: number;
}

/**
 * A throwaway nats-server of this test's own on a free port, with `maxPayload` (its config file:
 * the CLI has no flag for it), so a test never depends on the shared server's settings. Undefined
 * when the binary is missing (the caller then uses NATS_URL, or skips loudly).
 */
export async function startNatsServer(options: {
  maxPayload: number;
}): Promise<NatsServerProcess | undefined> {
  if (!existsSync(NATS_SERVER_BINARY)) {
    return undefined;
  }
  const port = await freePort();
  const conf = join(mkdtempSync(join(tmpdir(), 'nats-test-')), 'nats-server.conf');
  writeFileSync(
    conf,
    `listen: "127.0.0.1:${port}"\nmax_payload: ${options.maxPayload}\nping_interval: "2s"\nping_max: 2\n`,
  );
  const server = spawnCommand('nats-server', NATS_SERVER_BINARY, ['-c', conf]);
  await waitForPort(port, { process: server, timeoutMs: 10_000 });
  return Object.assign(server, { url: `nats://127.0.0.1:${port}`, maxPayload: options.maxPayload });
}

/** The compiled OCR worker on NATS (it listens on no port: readiness is the gateway's /health). */
export function spawnNatsWorker(
  natsUrl: string,
  env: Record<string, string | undefined> = {},
): ManagedProcess {
  return spawnBuilt('nats worker', ['ocr-worker', 'src', 'main.js'], {
    WORKER_TRANSPORT: 'nats',
    NATS_URL: natsUrl,
    MODEL_CACHE_DIR: TEST_MODEL_CACHE_DIR,
    LOG_LEVEL: 'warn',
    ...env,
  });
}
