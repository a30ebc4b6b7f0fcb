import type { UsageSnapshot } from '../usage/usage-snapshot';
import { secondsUntil } from '../usage/utc-day';
import type { PolicyState } from './rate-limit-headers';

const DAY_SECONDS = 86_400;

const DAILY_POLICY = 'daily';

/** The daily quota as the `daily` policy of the rate-limit headers. */
export function dailyPolicy(snapshot: UsageSnapshot, now: Date = new Date()): PolicyState {
  return {
    name: DAILY_POLICY,
    quota: snapshot.limit,
    windowSeconds: DAY_SECONDS,
    remaining: snapshot.remaining,
    resetSeconds: secondsUntil(snapshot.resetsAt, now),
  };
}
