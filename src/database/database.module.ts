import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config';
import { DatabaseGate } from './database-availability';
import { gatewayDataSourceOptions } from './data-source.options';
import { resolveDatabaseUrl } from './embedded-postgres';

/**
 * DI token of the Postgres connection string (for a dedicated `pg` client, e.g. LISTEN/NOTIFY,
 * which must not borrow a pooled TypeORM connection forever).
 */
export const DATABASE_URL = 'DATABASE_URL';

/**
 * TypeORM's DataSource (inject `DataSource`) with the gateway's deadlines, and the connection
 * string, for every module.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...gatewayDataSourceOptions(
          config,
          resolveDatabaseUrl(config),
          new DatabaseGate(config.database.connectTimeoutMs),
        ),
        // Let the gateway start (and /health say "database down") while Postgres is away.
        retryAttempts: 3,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [
    {
      provide: DATABASE_URL,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => resolveDatabaseUrl(config),
    },
  ],
  exports: [DATABASE_URL],
})
export class DatabaseModule {}
