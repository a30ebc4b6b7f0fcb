import type { HeaderObject } from '@nestjs/swagger';

/** On every response (the request-id middleware runs first). */
export const REQUEST_ID_HEADER: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description:
      "The request's id, also in an error's `requestId`; a client's own sane `X-Request-Id` is kept.",
    schema: { type: 'string', example: 'req_5oVqkWqvHtQ1pYzA' },
  },
};

/** On 429 and on the 503s that say when to come back (worker_overloaded, database_unavailable). */
export const RETRY_AFTER_HEADER: Record<string, HeaderObject> = {
  'Retry-After': {
    description: 'Whole seconds to wait before retrying (at least 1).',
    schema: { type: 'integer', minimum: 1, example: 1 },
  },
};

/**
 * The rate-limit fields every answer to an authenticated request carries, from the key's rate
 * limit on: a 401 (and the per-address 429 in front of authentication) has none.
 */
export const RATE_LIMIT_HEADERS: Record<string, HeaderObject> = {
  'RateLimit-Policy': {
    description:
      'draft-ietf-httpapi-ratelimit-headers-11: the per-second rate ("rate": q requests per w seconds, a token bucket) ' +
      'and the daily quota ("daily": q images per 86400 s, resetting at UTC midnight).',
    schema: { type: 'string', example: '"rate";q=5;w=3, "daily";q=100;w=86400' },
  },
  RateLimit: {
    description: 'Units available now (r) in each policy and the seconds until more become available (t).',
    schema: { type: 'string', example: '"rate";r=4;t=1, "daily";r=37;t=51234' },
  },
  'X-RateLimit-Limit': {
    description: 'Quota of the tighter policy (the one with fewer units left).',
    schema: { type: 'integer', example: 5 },
  },
  'X-RateLimit-Remaining': {
    description: 'Units left in the tighter policy.',
    schema: { type: 'integer', example: 4 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the tighter policy gives more units.',
    schema: { type: 'integer', example: 1 },
  },
};

/** On any answer to a key that stops working within 7 days (see ApiKeyGuard's expiryWarning). */
export const EXPIRY_WARNING_HEADER: Record<string, HeaderObject> = {
  Warning: {
    description:
      'Only when the key (or the key behind a short-lived token) stops working within 7 days, by expiry or by ' +
      'the end of its rotation grace: RFC 9110 warn-code 299 with the time, in ISO 8601.',
    schema: { type: 'string', example: '299 - "API key expires at 2026-12-05T10:00:00.000Z"' },
  },
};
