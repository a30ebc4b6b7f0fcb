import type { PolicyState } from '../rate-limit/rate-limit-headers';
import type { UsageSnapshot } from './usage.service';
import { secondsUntil } from './utc-day';

const DAY_SECONDS = 86_400;

export type DailyPolicy = Omit<PolicyState, 'name'>;

/** The daily quota as the `daily` policy of the rate-limit headers. */
export function dailyPolicy(snapshot: UsageSnapshot, now: Date = new Date()): DailyPolicy {
  return {
    quota: snapshot.limit,
    windowSeconds: DAY_SECONDS,
    remaining: snapshot.remaining,
    resetSeconds: secondsUntil(snapshot.resetsAt, now),
  };
}
