import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { childEnvironment, ConfigError, loadConfig } from '../src/config';
import { ensureDatabase, revertLastMigration, runMigrations } from '../src/database';

const USAGE = `Usage: migrate run | revert | generate <Name>
  run        apply every pending migration (each in its own transaction)
  revert     undo the most recent migration
  generate   write migrations/<timestamp>-<Name>.ts from the difference between the entities
             and the migrated schema (pending migrations are applied first)
Uses DATABASE_URL, else the embedded server under ./data (started for the command if needed).
`;

const MIGRATION_NAME = /^[A-Za-z][A-Za-z0-9]{0,80}$/;

/** Runs the TypeORM CLI over the same data-source file, compiled or (under ts-node) not. */
function generate(name: string, url: string): Promise<number> {
  const compiled = __filename.endsWith('.js');
  const dataSource = join(__dirname, '..', 'src', 'database', compiled ? 'data-source.js' : 'data-source.ts');
  const cli = require.resolve(compiled ? 'typeorm/cli.js' : 'typeorm/cli-ts-node-commonjs.js');
  const args = [cli, 'migration:generate', join('migrations', name), '-d', dataSource, '--pretty'];
  const preload = compiled ? [] : ['-r', 'tsconfig-paths/register'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...preload, ...args], {
      stdio: 'inherit',
      env: childEnvironment({ DATABASE_URL: url, TS_NODE_TRANSPILE_ONLY: 'true' }),
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  if (command !== 'run' && command !== 'revert' && command !== 'generate') {
    process.stderr.write(USAGE);
    return 2;
  }
  if (command === 'generate' && (name === undefined || !MIGRATION_NAME.test(name))) {
    process.stderr.write(
      `generate needs a name in PascalCase letters and digits, e.g. AddKeyLabels\n\n${USAGE}`,
    );
    return 2;
  }
  const config = loadConfig();
  const database = await ensureDatabase(config);
  try {
    if (command === 'revert') {
      await revertLastMigration(config, database.url);
      process.stdout.write('Reverted the most recent migration.\n');
      return 0;
    }
    const applied = await runMigrations(config, database.url);
    process.stdout.write(
      applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'No pending migrations.\n',
    );
    return command === 'generate' ? await generate(name, database.url) : 0;
  } finally {
    await database.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // The operator's console: the message says what failed; no stack, no connection string.
    process.stderr.write(
      `migrate: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
