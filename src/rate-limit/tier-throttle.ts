import type { TierLimits, Tiers } from '../config/tiers';

/** A token bucket in @nestjs/throttler's terms: `limit` tokens, refilled completely in `ttl` ms. */
export interface Throttle {
  limit: number;
  ttl: number;
}

/**
 * A tier's `rps` with `burst` as throttler's limit and window: `burst` tokens that refill at
 * `rps`, so an empty bucket is full again after `burst / rps` seconds. With the GCRA storage this
 * is exact (see gcra.ts); the window is also the `w` announced in RateLimit-Policy.
 */
export function throttleFor(limits: Pick<TierLimits, 'rps' | 'burst'>): Throttle {
  return { limit: limits.burst, ttl: (limits.burst / limits.rps) * 1000 };
}

/**
 * The limits of a key's tier. A key whose tier was removed from the configuration gets the most
 * restrictive configured rate instead of none: an unknown tier must not mean unlimited.
 */
export function tierLimits(tiers: Tiers, tier: string): Readonly<TierLimits> {
  const known = Object.prototype.hasOwnProperty.call(tiers, tier) ? tiers[tier] : undefined;
  if (known) {
    return known;
  }
  return Object.values(tiers).reduce((strictest, t) =>
    t.rps < strictest.rps || (t.rps === strictest.rps && t.burst < strictest.burst) ? t : strictest,
  );
}
