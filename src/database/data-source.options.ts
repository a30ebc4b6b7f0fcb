import { join } from 'node:path';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import type { AppConfig } from '../config';
import type { DatabaseGate } from './database-availability';
import { gatedPgDriver } from './gated-pg-driver';

/**
 * Compiled, this file sits in dist/src/database and the globs find dist/migrations/*.js;
 * under ts-node it sits in src/database and they find migrations/*.ts. Hence __dirname.
 */
const PROJECT_ROOT = join(__dirname, '..', '..');

export const ENTITY_GLOB = join(PROJECT_ROOT, 'src', '**', '*.entity.{ts,js}');
export const MIGRATION_GLOB = join(PROJECT_ROOT, 'migrations', '*.{ts,js}');

/**
 * One set of TypeORM options for the gateway, the migration CLI and the supervisor.
 * Never `synchronize`; migrations run only when asked (`npm run migration:run`, `npm start`).
 */
export function dataSourceOptions(config: AppConfig, url: string): PostgresConnectionOptions {
  return {
    type: 'postgres',
    url,
    entities: [ENTITY_GLOB],
    migrations: [MIGRATION_GLOB],
    migrationsTableName: 'migrations',
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: config.database.poolSize,
      // A refused or unreachable server should fail a request quickly, not hold it.
      connectionTimeoutMillis: 5000,
      application_name: 'secure-ocr-gateway',
    },
  };
}

// A session left idle inside a transaction (its gateway frozen or cut off) holds locks, the key
// mutation lock included: Postgres ends it after this long.
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * The gateway's (and the keys CLI's) options: every database call has a deadline. Connecting or
 * waiting for a pooled connection, the statement on the server (`statement_timeout`), and the wait
 * for its answer on the client (`query_timeout`, which also holds when the server is frozen and
 * cannot time itself out). `gate` makes calls fail at once while the database gives no answer.
 * Not for migrations, which may rightly run long.
 */
export function gatewayDataSourceOptions(
  config: AppConfig,
  url: string,
  gate: DatabaseGate,
): PostgresConnectionOptions {
  const options = dataSourceOptions(config, url);
  const { connectTimeoutMs, statementTimeoutMs, queryTimeoutMs } = config.database;
  return {
    ...options,
    driver: gatedPgDriver(gate),
    extra: {
      ...(options.extra as object),
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: queryTimeoutMs,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      keepAlive: true,
    },
  };
}
