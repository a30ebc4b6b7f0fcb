import type { components } from './openapi';

/** The contract's error codes, from the OpenAPI document. */
export type ErrorCode = components['schemas']['ErrorDetailDto']['code'];

/** The rate-limit state an answer to an authenticated request carries (its headers). */
export interface RateLimitState {
  /** Units left in the tighter of the rate and the daily quota (`X-RateLimit-Remaining`). */
  remaining?: number;
  /** That policy's quota (`X-RateLimit-Limit`). */
  limit?: number;
  /** Seconds until it gives more (`X-RateLimit-Reset`). */
  resetSeconds?: number;
  /** Images left today and the seconds until the daily quota resets (the `daily` item of `RateLimit`). */
  daily?: { remaining: number; resetSeconds: number };
}

/** An answer of the API in its error shape `{"error":{"code","message","requestId"}}`. */
export class OcrApiError extends Error {
  override readonly name = 'OcrApiError';

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly requestId: string | undefined,
    /** Seconds from `Retry-After`, on 429 and on the 503s that say when to come back. */
    readonly retryAfter: number | undefined,
    readonly rateLimit: RateLimitState,
  ) {
    super(message);
  }
}

/** No answer within the client's `timeoutMs`. */
export class OcrTimeoutError extends Error {
  override readonly name = 'OcrTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`No answer from the OCR API within ${timeoutMs} ms.`);
  }
}

/** The API could not be reached, or it answered something that is not the API (a proxy's page). */
export class OcrNetworkError extends Error {
  override readonly name = 'OcrNetworkError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function rateLimitOf(headers: Headers): RateLimitState {
  const number = (name: string): number | undefined => {
    const value = headers.get(name);
    return value === null || value === '' || Number.isNaN(Number(value)) ? undefined : Number(value);
  };
  const daily = /"daily";(?:[^,]*;)?r=(\d+)(?:;t=(\d+))?/.exec(headers.get('RateLimit') ?? '');
  return {
    remaining: number('X-RateLimit-Remaining'),
    limit: number('X-RateLimit-Limit'),
    resetSeconds: number('X-RateLimit-Reset'),
    ...(daily && { daily: { remaining: Number(daily[1]), resetSeconds: Number(daily[2] ?? 0) } }),
  };
}
