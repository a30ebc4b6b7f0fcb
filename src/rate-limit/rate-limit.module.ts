import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config';
import { UsageModule } from '../usage/usage.module';
import { IpRateLimitMiddleware } from './ip-rate-limit.middleware';
import { KeyThrottlerGuard } from './key-throttler.guard';
import { RateLimitHeadersInterceptor } from './rate-limit-headers.interceptor';
import { throttlerOptions } from './throttler-options';

/**
 * Per-key rate limits by tier, the per-address limit in front of authentication, and the
 * rate-limit headers (RequestLimits, kept current by the guard and RateLimitHeadersInterceptor).
 * Import it after the auth module: global guards run in registration order, and this one needs
 * the key. The per-address limit is mounted by app.setup.ts ahead of the body parser (see there).
 */
@Module({
  imports: [UsageModule, ThrottlerModule.forRootAsync({ inject: [AppConfig], useFactory: throttlerOptions })],
  providers: [
    { provide: APP_GUARD, useClass: KeyThrottlerGuard },
    { provide: APP_INTERCEPTOR, useClass: RateLimitHeadersInterceptor },
    IpRateLimitMiddleware,
  ],
  exports: [IpRateLimitMiddleware],
})
export class RateLimitModule {}
