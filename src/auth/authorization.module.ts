import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ScopesGuard } from './scopes.guard';

/**
 * The scope check, as its own global guard. Register it after RateLimitModule: Nest runs APP_GUARDs
 * in module registration order, and the rate-limit state belongs on a 403 too.
 */
@Module({ providers: [{ provide: APP_GUARD, useClass: ScopesGuard }] })
export class AuthorizationModule {}
