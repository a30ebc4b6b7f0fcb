import { ApiError } from '../common/errors/api-error';
import { periodEnd, secondsUntil } from './utc-day';

/**
 * The daily quota of a lineage as one statement left it. `used` counts the units of requests
 * still in flight (leased) with the charged ones: they are given back if those requests fail or
 * lose their client, so `remaining` may rise again, but it never promises a unit that is taken.
 */
export interface UsageSnapshot {
  /** The current quota period: a UTC day, `YYYY-MM-DD`. */
  day: string;
  used: number;
  limit: number;
  remaining: number;
  resetsAt: Date;
}

export function toSnapshot(day: string, used: number, limit: number): UsageSnapshot {
  return { day, used, limit, remaining: Math.max(0, limit - used), resetsAt: periodEnd(day) };
}

/** 429 quota_exceeded, with Retry-After until the period of `snapshot` resets. */
export function quotaExceeded(units: number, snapshot: UsageSnapshot): ApiError {
  const reset = 'The quota resets at 00:00 UTC.';
  const message =
    units === 1 || snapshot.remaining === 0
      ? `The daily quota of ${snapshot.limit} images for this key is used up. ${reset}`
      : `This request needs ${units} images of the daily quota but only ${snapshot.remaining} of ${snapshot.limit} remain. ${reset}`;
  return new ApiError(429, 'quota_exceeded', message, {
    'Retry-After': String(secondsUntil(snapshot.resetsAt)),
  });
}
