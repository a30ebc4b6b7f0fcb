import type { ThrottlerStorage } from '@nestjs/throttler';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The generic cell rate algorithm: a token bucket of `burst` tokens refilled at `burst / periodMs`
 * tokens per millisecond, kept as one number per client, the theoretical arrival time (TAT).
 * Unlike a fixed window it never admits more than `burst + rate × t` requests in any interval of
 * length t, and a refused client waits for the next token, not for the end of a window.
 *
 * `gcraStep` is the state transition (mirrored by the Redis script); `gcraDecision` describes
 * its outcome for headers and Retry-After.
 */
export interface GcraDecision {
  admitted: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Milliseconds until a refused request would be admitted (0 when admitted). */
  retryAfterMs: number;
  /** Milliseconds until one more token is available (0 when the bucket is full). */
  nextTokenMs: number;
}

// Float arithmetic on fractional emission intervals (1000 / 3 ms) must not lose a whole token.
const EPSILON = 1e-6;

/** Admits or refuses one request; `tat` is the value to store (unchanged when refused). */
export function gcraStep(
  storedTat: number | undefined,
  now: number,
  burst: number,
  periodMs: number,
): { admitted: boolean; tat: number } {
  const tat = Math.max(storedTat ?? now, now);
  const next = tat + periodMs / burst;
  if (now + EPSILON < next - periodMs) {
    return { admitted: false, tat };
  }
  return { admitted: true, tat: next };
}

export function gcraDecision(
  admitted: boolean,
  tat: number,
  now: number,
  burst: number,
  periodMs: number,
): GcraDecision {
  const interval = periodMs / burst;
  const ahead = Math.max(0, tat - now);
  if (!admitted) {
    const wait = Math.max(0, ahead + interval - periodMs);
    return { admitted, remaining: 0, retryAfterMs: wait, nextTokenMs: wait };
  }
  const remaining = Math.min(burst, Math.max(0, Math.floor((periodMs - ahead) / interval + EPSILON)));
  const nextTokenMs = remaining >= burst ? 0 : Math.max(0, ahead + (remaining + 1) * interval - periodMs);
  return { admitted, remaining, retryAfterMs: 0, nextTokenMs };
}

export function gcra(
  storedTat: number | undefined,
  now: number,
  burst: number,
  periodMs: number,
): GcraDecision & { tat: number } {
  const { admitted, tat } = gcraStep(storedTat, now, burst, periodMs);
  return { ...gcraDecision(admitted, tat, now, burst, periodMs), tat };
}

/**
 * Expresses a decision in @nestjs/throttler's record: `totalHits` is the tokens in use (so the
 * guard's `limit - totalHits` is what remains), `timeToExpire` the seconds until the next token,
 * `timeToBlockExpire` the whole seconds (at least 1) a refused client must wait.
 */
export function toThrottlerRecord(decision: GcraDecision, burst: number): ThrottlerStorageRecord {
  return {
    totalHits: burst - decision.remaining,
    timeToExpire: Math.ceil(decision.nextTokenMs / 1000),
    isBlocked: !decision.admitted,
    timeToBlockExpire: decision.admitted ? 0 : Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
  };
}
