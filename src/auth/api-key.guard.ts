import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/errors/api-error';
import { API_ERROR_CATALOGUE } from '../common/errors/error-catalogue';
import { ApiKeyVerifier } from './api-key.verifier';
import type { ApiKeyScope } from '../api-keys/api-key-scopes';
import type { AuthenticatedRequest } from './authenticated-request';
import { SCOPES_METADATA } from '../api-keys/scopes.decorator';

/** One message for every failure, so that a client learns nothing about why a key was refused. */
export const INVALID_API_KEY_MESSAGE = API_ERROR_CATALOGUE.invalid_api_key.message;

// A route under these prefixes that forgot its @Scopes still needs a valid key.
const PROTECTED_PATH = /^\/+(api|admin)(\/|$)/i;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Global guard: routes marked `@Scopes(...)`, and every route under /api and /admin, need a valid
 * API key; everything else (health, docs, metrics) is public. Sets `request.apiKey`.
 * Scopes are checked later, by ScopesGuard, so that a 403 too passes the rate limit and carries
 * its headers like every other answer to an authenticated request.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const scopes = this.reflector.getAllAndOverride<ApiKeyScope[] | undefined>(SCOPES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scopes === undefined && !PROTECTED_PATH.test(request.path)) {
      return true;
    }
    const key = await this.verifier.verify(presentedKey(request));
    if (key === null) {
      throw new ApiError(401, 'invalid_api_key', INVALID_API_KEY_MESSAGE, { 'WWW-Authenticate': 'Bearer' });
    }
    request.apiKey = key;
    return true;
  }
}

/** `X-API-Key`, else `Authorization: Bearer <key>`. */
export function presentedKey(request: Pick<AuthenticatedRequest, 'headers'>): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') {
    return header;
  }
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}
