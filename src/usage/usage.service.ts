import { Injectable } from '@nestjs/common';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { ApiError } from '../common/errors/api-error';
import { AppConfig, tierLimits } from '../config';
import { RequestLimits } from '../rate-limit/request-limits';
import { DailyUsageRepository, DayUsage } from './daily-usage.repository';
import { DailyPolicy, dailyPolicy } from './daily-policy';
import { UsageResponseDto } from './dto/usage-response.dto';
import { Reservation } from './reservation';
import { periodEnd } from './utc-day';

export interface UsageSnapshot {
  /** The current quota period: a UTC day, `YYYY-MM-DD`. */
  day: string;
  used: number;
  limit: number;
  remaining: number;
  resetsAt: Date;
}

/**
 * The daily quota of a key's lineage. The OCR path reserves units before the work and refunds
 * those that produced no result; every change is reflected in the current request's rate-limit
 * headers.
 */
@Injectable()
export class UsageService {
  constructor(
    private readonly usage: DailyUsageRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * Counts `units` (one per image) against today's quota, atomically across all processes.
   * @throws ApiError 429 quota_exceeded, with Retry-After until the period resets, when the
   *   units do not fit; nothing is counted then.
   */
  async reserve(key: AuthenticatedKey, units = 1): Promise<Reservation> {
    if (!Number.isInteger(units) || units < 1) {
      throw new RangeError(`units must be a positive integer, got ${units}`);
    }
    const outcome = await this.usage.reserve(key.lineageId, units, key.dailyLimit);
    const { snapshot, policy } = this.publish(key, outcome.day, outcome.used);
    if (!outcome.admitted) {
      // The same seconds as the daily policy's `t`: Retry-After must not point before it ends.
      throw new ApiError(429, 'quota_exceeded', quotaMessage(units, snapshot), {
        'Retry-After': String(policy.resetSeconds),
      });
    }
    return new Reservation(outcome.day, units, async (day, count) => {
      const used = await this.usage.refund(key.lineageId, day, count);
      if (day === snapshot.day) {
        this.publish(key, day, used);
      }
    });
  }

  /** Today's usage of the key's lineage. */
  async current(key: AuthenticatedKey): Promise<UsageSnapshot> {
    const today = await this.usage.usedOn(key.lineageId);
    return toSnapshot(today.date, today.used, key.dailyLimit);
  }

  /** What `GET /api/v1/usage` answers; with `days`, today is the last day of the history read. */
  async report(key: AuthenticatedKey, days?: number): Promise<UsageResponseDto> {
    const history = days === undefined ? undefined : await this.history(key.lineageId, days);
    const latest = history?.at(-1);
    const today = latest ? toSnapshot(latest.date, latest.used, key.dailyLimit) : await this.current(key);
    const { rps, burst } = tierLimits(this.config.tiers, key.tier);
    return {
      key: { id: key.id, name: key.name, tier: key.tier },
      period: today.day,
      used: today.used,
      limit: today.limit,
      remaining: today.remaining,
      resetsAt: today.resetsAt.toISOString(),
      rateLimit: { rps, burst },
      ...(history && { history }),
    };
  }

  /** The last `days` UTC days of a lineage, oldest first, zero-filled (also for admin reports). */
  history(lineageId: string, days: number): Promise<DayUsage[]> {
    return this.usage.history(lineageId, days);
  }

  /** Writes a change to the current request's rate-limit headers (when there is a request). */
  private publish(
    key: AuthenticatedKey,
    day: string,
    used: number,
  ): { snapshot: UsageSnapshot; policy: DailyPolicy } {
    const snapshot = toSnapshot(day, used, key.dailyLimit);
    const policy = dailyPolicy(snapshot);
    RequestLimits.current()?.setDaily(policy);
    return { snapshot, policy };
  }
}

export function toSnapshot(day: string, used: number, limit: number): UsageSnapshot {
  return { day, used, limit, remaining: Math.max(0, limit - used), resetsAt: periodEnd(day) };
}

function quotaMessage(units: number, snapshot: UsageSnapshot): string {
  const reset = 'The quota resets at 00:00 UTC.';
  if (units === 1 || snapshot.remaining === 0) {
    return `The daily quota of ${snapshot.limit} images for this key is used up. ${reset}`;
  }
  return `This request needs ${units} images of the daily quota but only ${snapshot.remaining} of ${snapshot.limit} remain. ${reset}`;
}
