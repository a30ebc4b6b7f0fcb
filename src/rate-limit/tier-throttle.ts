import type { AuthenticatedKey } from '../auth/authenticated-key';
import { keyRate, type TierLimits, type Tiers } from '../config/tiers';

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

/** The bucket of a key (see keyRate): a token is throttled as its parent. */
export function keyThrottle(
  tiers: Tiers,
  key: Pick<AuthenticatedKey, 'tier' | 'restrictions'> | undefined,
): Throttle {
  const { burst, windowMs } = keyRate(tiers, key?.tier ?? '', key?.restrictions?.rate);
  return { limit: burst, ttl: windowMs };
}
