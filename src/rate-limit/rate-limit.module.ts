import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config';
import { UsageModule } from '../usage/usage.module';
import { IpRateLimitMiddleware } from './ip-rate-limit.middleware';
import { KeyThrottlerGuard } from './key-throttler.guard';
import { throttlerOptions } from './throttler-options';

/**
 * Per-key rate limits by tier, the per-address limit in front of authentication, and the
 * rate-limit headers (RequestLimits, kept current by the guard and, on the routes that reserve
 * quota, by RateLimitHeadersInterceptor next to their UsageSettlementInterceptor: not global, as
 * it has nothing to do elsewhere and a global interceptor puts every route through Nest's
 * Observable chain). Import it after the auth module: global guards run in registration order,
 * and this one needs the key. The per-address limit is mounted by app.setup.ts ahead of the body
 * parser (see there).
 */
@Module({
  imports: [UsageModule, ThrottlerModule.forRootAsync({ inject: [AppConfig], useFactory: throttlerOptions })],
  providers: [
    { provide: APP_GUARD, useClass: KeyThrottlerGuard },
    IpRateLimitMiddleware,
  ],
  exports: [IpRateLimitMiddleware],
})
export class RateLimitModule {}
