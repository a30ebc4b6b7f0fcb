import type { NextFunction, Request, Response } from 'express';

/**
 * CORS, answered per key. A preflight carries no key, so it cannot be answered by the key's
 * allowed origins: for the public API (`/api/...`, where every route needs a key or a token in a
 * header, never a cookie) any origin's preflight is granted, and the decision is made on the
 * actual request, once the key is known: the API-key guard adds `Access-Control-Allow-Origin` when
 * the key allows the origin, and refuses a request from an origin its key does not allow with
 * 403 origin_not_allowed and no CORS header, so that the page cannot read the answer either.
 * Origins in CORS_ORIGINS are allowed everywhere (the admin API included) for keys without
 * allowed origins of their own, as before. Granting a preflight exposes nothing: without a key the
 * request it announces is refused, and no ambient credential is ever honoured
 * (`Access-Control-Allow-Credentials` is never sent).
 */

/** What a page may read of an answer: the headers the contract documents. */
export const CORS_EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Warning',
].join(', ');

const ALLOWED_HEADERS = 'Content-Type, X-API-Key, Authorization, X-Request-Id';
const PUBLIC_API_METHODS = 'GET, POST';
const ALL_METHODS = 'GET, POST, PATCH, DELETE';
const PREFLIGHT_MAX_AGE_SECONDS = '600';
const PUBLIC_API = /^\/+api(\/|$)/i;

/** Lets the page at `origin` read this answer. */
export function allowCorsOrigin(response: Response, origin: string): void {
  response.setHeader('Access-Control-Allow-Origin', origin);
  response.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
}

/** Takes back what allowCorsOrigin (or the middleware, for CORS_ORIGINS) granted. */
export function withdrawCors(response: Response): void {
  response.removeHeader('Access-Control-Allow-Origin');
  response.removeHeader('Access-Control-Expose-Headers');
}

/** The request's `Origin`, when it has exactly one. */
export function requestOrigin(request: Pick<Request, 'headers'>): string | undefined {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin !== '' ? origin : undefined;
}

/** The middleware in front of every route (see the top of this file); `listed`: CORS_ORIGINS. */
export function corsMiddleware(listed: readonly string[]) {
  const everywhere = new Set(listed);
  return (request: Request, response: Response, next: NextFunction): void => {
    const origin = requestOrigin(request);
    if (origin === undefined) {
      next();
      return;
    }
    // Whether the answer lets a page read it depends on the Origin: no cache may reuse it for another.
    response.vary('Origin');
    const isListed = everywhere.has(origin);
    if (isListed) {
      allowCorsOrigin(response, origin);
    }
    const preflight =
      request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    const publicApi = PUBLIC_API.test(request.path);
    if (!preflight || !(isListed || publicApi)) {
      next();
      return;
    }
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Access-Control-Allow-Methods', isListed ? ALL_METHODS : PUBLIC_API_METHODS);
    response.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    response.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
    response.status(204).end();
  };
}
