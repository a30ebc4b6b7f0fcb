/** The state of one quota policy as a client should see it. */
export interface PolicyState {
  /** Policy name of the IETF fields: a token of letters, digits, `_-.:*` (sent as an sf-string). */
  name: string;
  /** Quota units the policy allows per window. */
  quota: number;
  /** Window length in whole seconds (at least 1). */
  windowSeconds: number;
  /** Units available now. */
  remaining: number;
  /** Seconds until more units become available (the draft's effective window `t`). */
  resetSeconds: number;
}

const POLICY_NAME = /^[A-Za-z0-9_.:*-]+$/;

/**
 * The rate-limit fields of draft-ietf-httpapi-ratelimit-headers-11 (`RateLimit-Policy`,
 * `RateLimit`: structured-field lists of named items with integer parameters) and the common
 * `X-RateLimit-*` trio for the tighter policy, the one a client will hit first.
 */
export function rateLimitHeaders(policies: PolicyState[]): Record<string, string> {
  if (policies.length === 0) {
    return {};
  }
  const items = policies.map((policy) => ({ ...policy, name: policyName(policy.name) }));
  const tight = tightest(items);
  return {
    'RateLimit-Policy': items
      .map((p) => `"${p.name}";q=${count(p.quota)};w=${Math.max(1, count(p.windowSeconds))}`)
      .join(', '),
    RateLimit: items.map((p) => `"${p.name}";r=${count(p.remaining)};t=${count(p.resetSeconds)}`).join(', '),
    'X-RateLimit-Limit': String(count(tight.quota)),
    'X-RateLimit-Remaining': String(count(tight.remaining)),
    'X-RateLimit-Reset': String(count(tight.resetSeconds)),
  };
}

/** Fewest units left wins; between equals, the one that takes longer to recover. */
export function tightest<T extends PolicyState>(policies: T[]): T {
  return policies.reduce((tight, p) =>
    p.remaining < tight.remaining || (p.remaining === tight.remaining && p.resetSeconds > tight.resetSeconds)
      ? p
      : tight,
  );
}

/** Structured-field integers here are non-negative; seconds are rounded up, never down to a lie. */
function count(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.ceil(value)) : 0;
}

function policyName(name: string): string {
  if (!POLICY_NAME.test(name)) {
    throw new RangeError(`policy name must be a plain token: ${name}`);
  }
  return name;
}
