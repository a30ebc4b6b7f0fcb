import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/errors/api-error';
import { CachingReflector } from '../common/metadata/caching-reflector';
import type { ApiKeyScope } from '../api-keys/api-key-scopes';
import { ApiMetrics } from '../metrics/api-metrics';
import type { AuthenticatedRequest } from './authenticated-request';
import { SCOPES_METADATA } from '../api-keys/scopes.decorator';

/**
 * Global guard, registered after the rate-limit guard (see AuthorizationModule): a verified key
 * lacking a scope of `@Scopes(...)` gets 403 forbidden.
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  private readonly reflector: Reflector;

  constructor(
    reflector: Reflector,
    private readonly metrics: ApiMetrics,
  ) {
    this.reflector = new CachingReflector(reflector);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') {
      return true;
    }
    const key = context.switchToHttp().getRequest<AuthenticatedRequest>().apiKey;
    const scopes = this.reflector.getAllAndOverride<ApiKeyScope[] | undefined>(SCOPES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (key === undefined || scopes === undefined) {
      // ApiKeyGuard already refused every route that needs a key and has none.
      return true;
    }
    const missing = scopes.filter((scope) => !key.scopes.includes(scope));
    if (missing.length > 0) {
      this.metrics.authFailure('insufficient_scope');
      throw new ApiError(
        403,
        'forbidden',
        `This API key lacks the ${missing.join(' and ')} scope needed here.`,
      );
    }
    return true;
  }
}
