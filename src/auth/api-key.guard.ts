import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { ApiError } from '../common/errors/api-error';
import { CachingReflector } from '../common/metadata/caching-reflector';
import { API_ERROR_CATALOGUE } from '../common/errors/error-catalogue';
import { ApiKeyVerifier } from './api-key.verifier';
import type { ApiKeyScope } from '../api-keys/api-key-scopes';
import type { AuthenticatedRequest } from './authenticated-request';
import { SCOPES_METADATA } from '../api-keys/scopes.decorator';
import { TOKEN_PREFIX, TokenSigner } from '../tokens/token-signer';
import type { AuthenticatedKey } from './authenticated-key';

/** One message for every failure, so that a client learns nothing about why a key was refused. */
export const INVALID_API_KEY_MESSAGE = API_ERROR_CATALOGUE.invalid_api_key.message;

// A route under these prefixes that forgot its @Scopes still needs a valid key.
const PROTECTED_PATH = /^\/+(api|admin)(\/|$)/i;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** How long before a key stops working its answers say so. */
export const EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

/**
 * Global guard: routes marked `@Scopes(...)`, and every route under /api and /admin, need a valid
 * API key; everything else (health, docs, metrics) is public. Sets `request.apiKey`.
 * Scopes are checked later, by ScopesGuard, so that a 403 too passes the rate limit and carries
 * its headers like every other answer to an authenticated request.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly reflector: Reflector;

  constructor(
    reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
    private readonly tokens: TokenSigner,
  ) {
    this.reflector = new CachingReflector(reflector);
  }

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
    const bearer = bearerOf(request);
    const key =
      bearer?.startsWith(TOKEN_PREFIX) === true && !hasApiKeyHeader(request)
        ? await this.tokenKey(bearer, request)
        : await this.verifier.verify(presentedKey(request));
    if (key === null) {
      throw new ApiError(401, 'invalid_api_key', INVALID_API_KEY_MESSAGE, { 'WWW-Authenticate': 'Bearer' });
    }
    request.apiKey = key;
    const warning = expiryWarning(key);
    if (warning !== undefined) {
      context.switchToHttp().getResponse<Response>().setHeader('Warning', warning);
    }
    return true;
  }

  /**
   * A short-lived token (`Authorization: Bearer ocrt_…`, never X-API-Key) acts as the key that
   * minted it, re-verified on every use so that it dies with it, but holds at most its `ocr` scope:
   * it can neither mint tokens nor manage keys. A token bound to an origin needs that `Origin`.
   */
  private async tokenKey(token: string, request: AuthenticatedRequest): Promise<AuthenticatedKey | null> {
    const claims = this.tokens.verify(token);
    if (claims === null) {
      return null;
    }
    if (claims.origin !== undefined && request.headers.origin !== claims.origin) {
      throw new ApiError(
        403,
        'forbidden',
        'This token is bound to another origin than the Origin of this request.',
      );
    }
    const parent = await this.verifier.verifyKeyId(claims.keyId);
    return parent === null ? null : { ...parent, scopes: parent.scopes.filter((scope) => scope === 'ocr') };
  }
}

/**
 * RFC 9110's `Warning: 299` (a persistent warning, free text) on every answer to a key that stops
 * working within EXPIRY_WARNING_MS, by expiry or by the end of its rotation grace: the key's owner
 * sees it in any HTTP log before requests start failing.
 */
export function expiryWarning(key: Pick<AuthenticatedKey, 'endsAt'>, nowMs = Date.now()): string | undefined {
  if (key.endsAt === undefined || key.endsAt === null || key.endsAt - nowMs > EXPIRY_WARNING_MS) {
    return undefined;
  }
  return `299 - "API key expires at ${new Date(key.endsAt).toISOString()}"`;
}

function hasApiKeyHeader(request: Pick<AuthenticatedRequest, 'headers'>): boolean {
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header !== '';
}

function bearerOf(request: Pick<AuthenticatedRequest, 'headers'>): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

/** `X-API-Key`, else `Authorization: Bearer <key>`. */
export function presentedKey(request: Pick<AuthenticatedRequest, 'headers'>): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') {
    return header;
  }
  return bearerOf(request);
}
