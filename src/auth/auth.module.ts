import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyChanges } from '../api-keys/api-key-changes';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AppConfig } from '../config';
import { TokenSigningModule } from '../tokens/token-signing.module';
import { ApiKeyChangeListener, heartbeatTimings } from './api-key-change.listener';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyVerifier } from './api-key.verifier';
import { KeyVerificationCache } from './key-verification.cache';
import { LastUsedRecorder } from './last-used.recorder';

/**
 * The global API-key guard and what it needs. Register it before any other global guard (rate
 * limits key on `request.apiKey`): Nest runs APP_GUARDs in module registration order.
 */
@Module({
  imports: [ApiKeysModule, TokenSigningModule],
  providers: [
    {
      provide: KeyVerificationCache,
      useFactory: (config: AppConfig, changes: ApiKeyChanges) => {
        const { trustMs } = heartbeatTimings(config.auth.keyChangeConfirmTimeoutMs);
        const cache = new KeyVerificationCache(config.auth.keyCacheTtlMs, trustMs);
        changes.subscribe((keyId) => cache.invalidate(keyId));
        return cache;
      },
      inject: [AppConfig, ApiKeyChanges],
    },
    {
      provide: LastUsedRecorder,
      useFactory: (keys: ApiKeyRepository, config: AppConfig) =>
        new LastUsedRecorder(keys, config.auth.lastUsedFlushMs),
      inject: [ApiKeyRepository, AppConfig],
    },
    ApiKeyVerifier,
    ApiKeyChangeListener,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
  exports: [ApiKeyVerifier],
})
export class AuthModule {}
