import { ApiError } from '../common/errors/api-error';
import { ConfigError, loadConfig } from '../config';
import { ensureDatabase } from '../database';
import { parseCommand, runCommand, USAGE, UsageError } from './keys-command';
import { withApiKeys } from './keys-context';

/**
 * `npm run --silent keys -- create|list|revoke`: key management without the server, against the
 * database the server uses. stdout carries only the result (for `create`, only the key), so
 * scripts can capture it; everything else goes to stderr with a non-zero exit code.
 */
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
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  // Database and start-up failures: the message says what, a stack would say nothing more useful.
  process.stderr.write(`keys: ${error instanceof Error ? error.message : String(error)}\n`);
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
