import { createProcessLogger } from '@app/logging';
import { ConfigError, loadConfig } from '../src/config/app-config';
import {
  instanceLockFile,
  startRefusal,
  SUPERVISOR_COMMAND,
  waitForInstanceLock,
} from '../src/cli/instance-lock';

/**
 * The first step of `npm start`, before the build: a second start beside a running one is
 * refused here, at once, before `npm run build` would empty dist/ under the running instance (and
 * a wrong configuration is reported before a minute of building). Run from the TypeScript source
 * (ts-node), as nothing is built yet.
 *
 * The lock is taken for this process's parent: the shell running the npm script, which then
 * `exec`s the supervisor (scripts/start.ts) and so hands it the same pid, and the lock with it. If
 * the build fails the shell exits and the lock is stale, for the next start to take.
 */

/** The supervisor's voice, in the installation's one log format (see scripts/start.ts). */
const log = createProcessLogger({ service: 'supervisor', level: 'info', sync: true });

const EX_CONFIG = 78;
/** A short command (keys, migrate) holding the lock is waited for this long. */
const LOCK_WAIT_MS = 15_000;

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      log.fatal(error.message);
      return EX_CONFIG;
    }
    throw error;
  }
  const lockFile = instanceLockFile(config);
  const attempt = await waitForInstanceLock(lockFile, {
    command: SUPERVISOR_COMMAND,
    pid: process.ppid,
    timeoutMs: LOCK_WAIT_MS,
    retryWhile: (holder) => holder.command !== SUPERVISOR_COMMAND,
  });
  if (!attempt.acquired) {
    log.error(startRefusal(attempt.holder, lockFile, 'built or started'));
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log.fatal(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
