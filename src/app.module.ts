import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { AuthorizationModule } from './auth/authorization.module';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { AppConfig, ConfigModule } from './config';
import { DatabaseModule } from './database';
import { HealthModule } from './health/health.module';
import { ApiMetricsModule } from './metrics/api-metrics.module';
import { MetricsModule } from './metrics/metrics.module';
import { OcrWorkerClientModule } from './ocr-worker-client/ocr-worker-client.module';
import { OcrModule } from './ocr/ocr.module';
import { PlaygroundModule } from './playground/playground.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { TokensModule } from './tokens/tokens.module';
import { UsageModule } from './usage/usage.module';

/**
 * The feature modules, in order. Register a new feature here. AuthModule comes first: its global
 * guard sets `request.apiKey`, which later guards (rate limits, then scopes) read; Nest runs
 * APP_GUARDs in registration order.
 */
const FEATURE_MODULES: Type[] = [
  AuthModule,
  RateLimitModule,
  AuthorizationModule,
  ApiKeysModule,
  UsageModule,
  TokensModule,
  OcrModule,
  HealthModule,
  PlaygroundModule,
];

@Module({})
export class AppModule {
  /**
   * `config` is validated before Nest starts; `logger` is the root pino logger whose request
   * middleware app.setup.ts mounts first, so nestjs-pino reuses it (`useExisting`).
   */
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true }),
        DatabaseModule,
        OcrWorkerClientModule,
        ApiMetricsModule,
        ...(config.metrics.enabled ? [MetricsModule] : []),
        ...FEATURE_MODULES,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
