import type { Response } from 'express';
import type { UsageSnapshot } from '../usage/usage-snapshot';
import { dailyPolicy } from './daily-policy';
import { PolicyState, rateLimitHeaders } from './rate-limit-headers';

export const RATE_POLICY = 'rate';

const SLOT = Symbol('requestLimits');
type WithSlot = Response & { locals: Record<PropertyKey, unknown> };

/**
 * The rate-limit state of one request and the only writer of its rate-limit headers. The key's
 * throttler guard gives the rate decision and the quota as it found it, so that any answer after
 * authentication (a 403 or a 429 from a later guard, a 400 from a pipe, a 5xx through the global
 * filter) carries both; RateLimitHeadersInterceptor gives the quota after the request's own
 * reservations and refunds, before its answer is written. Each change rewrites all the fields.
 */
export class RequestLimits {
  private rate?: PolicyState;
  private daily?: UsageSnapshot;

  private constructor(private readonly response: Response) {}

  /** The instance bound to a response, created on first use. */
  static of(response: Response): RequestLimits {
    const locals = (response as WithSlot).locals;
    const existing = locals[SLOT];
    if (existing instanceof RequestLimits) {
      return existing;
    }
    const created = new RequestLimits(response);
    locals[SLOT] = created;
    return created;
  }

  setRate(state: Omit<PolicyState, 'name'>): void {
    this.rate = { ...state, name: RATE_POLICY };
    this.write();
  }

  /** Both parts at once (the throttler guard's decision), written once; `daily` undefined: unknown. */
  setRateAndDaily(state: Omit<PolicyState, 'name'>, daily: UsageSnapshot | undefined): void {
    this.rate = { ...state, name: RATE_POLICY };
    this.daily = daily ?? this.daily;
    this.write();
  }

  setDaily(snapshot: UsageSnapshot): void {
    this.daily = snapshot;
    this.write();
  }

  private write(): void {
    if (this.response.headersSent) {
      return;
    }
    const policies = [this.rate, this.daily && dailyPolicy(this.daily)].filter(
      (p): p is PolicyState => p !== undefined,
    );
    for (const [name, value] of Object.entries(rateLimitHeaders(policies))) {
      this.response.setHeader(name, value);
    }
  }
}
