import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AppConfig, ConfigModule } from '../config';
import { DatabaseModule } from '../database';

@Module({})
class KeysContextModule {}

/**
 * Runs `work` with the same ApiKeysService the admin API uses, outside the gateway (the keys CLI,
 * the start-up supervisor). The database must be reachable: DATABASE_URL, or the embedded server
 * already started (see `ensureDatabase`). Nest's own logging is off, so stdout stays the caller's.
 */
export async function withApiKeys<T>(
  config: AppConfig,
  work: (keys: ApiKeysService) => Promise<T>,
): Promise<T> {
  const context = await NestFactory.createApplicationContext(
    { module: KeysContextModule, imports: [ConfigModule.forRoot(config), DatabaseModule, ApiKeysModule] },
    { logger: false, abortOnError: false },
  );
  try {
    return await work(context.get(ApiKeysService));
  } finally {
    await context.close();
  }
}

/**
 * For the supervisor: on a database without any key, creates one admin key (scopes ocr and admin,
 * tier enterprise) and returns its plaintext, to be shown once; null when keys exist. Two
 * processes starting at once create one key.
 */
export function ensureBootstrapAdminKey(config: AppConfig): Promise<string | null> {
  return withApiKeys(config, (keys) => keys.ensureBootstrapAdminKey());
}
