import { AsyncLocalStorage } from 'node:async_hooks';
import type { Response } from 'express';
import { PolicyState, rateLimitHeaders } from './rate-limit-headers';

export const RATE_POLICY = 'rate';
export const DAILY_POLICY = 'daily';

const SLOT = Symbol('requestLimits');
type WithSlot = Response & { locals: Record<PropertyKey, unknown> };

/**
 * The rate-limit state of one request and the response it is written to. Headers are written to
 * the response as soon as a policy is known (not in an interceptor) so that an error answered by
 * the global filter after authentication carries them too. Usage code finds the current request's
 * instance through async context, so a reservation made deep in a service updates the quota part
 * without the response being passed around.
 */
export class RequestLimits {
  private static readonly context = new AsyncLocalStorage<RequestLimits>();
  private rate?: PolicyState;
  private daily?: PolicyState;

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

  /** Runs the rest of the request pipeline with this instance as the current one. */
  static run<T>(limits: RequestLimits, next: () => T): T {
    return RequestLimits.context.run(limits, next);
  }

  static current(): RequestLimits | undefined {
    return RequestLimits.context.getStore();
  }

  setRate(state: Omit<PolicyState, 'name'>): void {
    this.rate = { ...state, name: RATE_POLICY };
    this.write();
  }

  setDaily(state: Omit<PolicyState, 'name'>): void {
    this.daily = { ...state, name: DAILY_POLICY };
    this.write();
  }

  private write(): void {
    if (this.response.headersSent) {
      return;
    }
    const policies = [this.rate, this.daily].filter((p): p is PolicyState => p !== undefined);
    for (const [name, value] of Object.entries(rateLimitHeaders(policies))) {
      this.response.setHeader(name, value);
    }
  }
}
