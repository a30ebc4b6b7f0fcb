import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config';

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
export function dataSourceOptions(config: AppConfig, url: string): DataSourceOptions {
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
