import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { ApiError } from '../common/errors/api-error';
import { API_ERROR_CATALOGUE } from '../common/errors/error-catalogue';
import { ApiKeyVerifier } from './api-key.verifier';
import type { ApiKeyScope } from '../api-keys/api-key-scopes';
import type { AuthenticatedRequest } from './authenticated-request';
import { SCOPES_METADATA } from '../api-keys/scopes.decorator';
import { TOKEN_PREFIX, TokenSigner } from '../tokens/token-signer';
import type { AuthenticatedKey } from './authenticated-key';
import { allowCorsOrigin, requestOrigin, withdrawCors } from '../common/http/cors';
import { keyAllowsOrigin, restrictionRefusal } from './key-restriction-checks';

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
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
    private readonly tokens: TokenSigner,
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
    const bearer = bearerOf(request);
    const viaToken = bearer?.startsWith(TOKEN_PREFIX) === true && !hasApiKeyHeader(request);
    const token = viaToken ? await this.tokenKey(bearer) : undefined;
    const key = viaToken ? (token?.key ?? null) : await this.verifier.verify(presentedKey(request));
    if (key === null) {
      throw new ApiError(401, 'invalid_api_key', INVALID_API_KEY_MESSAGE, { 'WWW-Authenticate': 'Bearer' });
    }
    const response = context.switchToHttp().getResponse<Response>();
    enforceRestrictions(key, request, response, viaToken ? { boundOrigin: token?.boundOrigin } : undefined);
    request.apiKey = key;
    const warning = expiryWarning(key);
    if (warning !== undefined) {
      response.setHeader('Warning', warning);
    }
    return true;
  }

  /**
   * A short-lived token (`Authorization: Bearer ocrt_…`, never X-API-Key) acts as the key that
   * minted it, re-verified on every use so that it dies with it, but holds at most its `ocr` scope:
   * it can neither mint tokens nor manage keys. A token bound to an origin needs that `Origin`,
   * and the key's own allowed origins apply to it as well (enforceRestrictions).
   */
  private async tokenKey(token: string): Promise<{ key: AuthenticatedKey; boundOrigin?: string } | null> {
    const claims = this.tokens.verify(token);
    if (claims === null) {
      return null;
    }
    const parent = await this.verifier.verifyKeyId(claims.keyId);
    if (parent === null) {
      return null;
    }
    return {
      key: { ...parent, scopes: parent.scopes.filter((scope) => scope === 'ocr') },
      boundOrigin: claims.origin,
    };
  }
}

/**
 * The key's restrictions (origins, networks), and the CORS answer they imply: a page at an origin
 * the key names may read the answer; one the key does not allow gets its 403 without any CORS
 * header, a grant by CORS_ORIGINS withdrawn too (see common/http/cors.ts).
 */
function enforceRestrictions(
  key: AuthenticatedKey,
  request: AuthenticatedRequest,
  response: Response,
  token: { boundOrigin?: string } | undefined,
): void {
  const origin = requestOrigin(request);
  const refusal =
    token?.boundOrigin !== undefined && origin !== token.boundOrigin
      ? new ApiError(
          403,
          'origin_not_allowed',
          'This token is bound to another origin than the Origin of this request.',
        )
      : restrictionRefusal(key, { origin, address: request.ip, viaToken: token !== undefined });
  if (refusal !== undefined) {
    if (origin !== undefined) {
      withdrawCors(response);
    }
    throw refusal;
  }
  if (origin !== undefined && keyAllowsOrigin(key, origin)) {
    allowCorsOrigin(response, origin);
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
