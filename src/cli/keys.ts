import { createProcessLogger } from '@app/logging';
import { ApiError } from '../common/errors/api-error';
import { ConfigError, loadConfig } from '../config';
import { ensureDatabase } from '../database';
import { parseCommand, runCommand, USAGE, UsageError } from './keys-command';
import { withApiKeys } from './keys-context';

/**
 * `npm run --silent keys -- create|list|revoke`: key management without the server, against the
 * database the server uses. stdout carries only the result (for `create`, only the key), so
 * scripts can capture it; a refusal is a log line on stderr (the installation's one format) with a
 * non-zero exit code. The usage text stays plain: it is for a person asking for it.
 */

const log = createProcessLogger({ service: 'cli', level: 'info', fd: 2, sync: true });

async function main(argv: string[]): Promise<number> {
  const command = await parseCommand(argv);
  if (command.name === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig();
  const database = await ensureDatabase(config);
  try {
    await withApiKeys(config, (keys) =>
      runCommand(command, keys, { out: (text) => process.stdout.write(text) }),
    );
  } finally {
    await database.stop();
  }
  return 0;
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (error instanceof ConfigError || error instanceof ApiError) {
    log.error(error.message);
    return 1;
  }
  // Database and start-up failures: the message says what, a stack would say nothing more useful.
  log.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
