export { DatabaseModule, DATABASE_URL } from './database.module';
export { dataSourceOptions } from './data-source.options';
export {
  ensureDatabase,
  embeddedServer,
  resolveDatabaseUrl,
  embeddedDatabaseUrl,
  EmbeddedDatabaseError,
} from './embedded-postgres';
export type { DatabaseHandle } from './embedded-postgres';
export { runMigrations, revertLastMigration } from './migrations';
