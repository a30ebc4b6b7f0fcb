import type { ApiOkResponse } from '@nestjs/swagger';

type ResponseHeaders = NonNullable<NonNullable<Parameters<typeof ApiOkResponse>[0]>['headers']>;

/**
 * The rate-limit fields every authenticated answer carries, for `@ApiOkResponse({ headers })`
 * (and any other response of an authenticated endpoint).
 */
export const RATE_LIMIT_RESPONSE_HEADERS: ResponseHeaders = {
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
