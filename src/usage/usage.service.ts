import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { AppConfig, keyRate } from '../config';
import { DailyUsageRepository } from './daily-usage.repository';
import { UsageResponseDto } from './dto/usage-response.dto';
import { UsageLedger } from './usage-ledger';
import { toSnapshot, UsageSnapshot } from './usage-snapshot';

/**
 * The daily quota of a key's lineage: a ledger per request (reservations held by leases until the
 * request is settled), the current state, and the reports.
 */
@Injectable()
export class UsageService implements OnApplicationShutdown {
  private readonly logger = new Logger(UsageService.name);
  private readonly settling = new Set<Promise<void>>();

  constructor(
    private readonly usage: DailyUsageRepository,
    private readonly config: AppConfig,
  ) {}

  /** A ledger for one request of `key`: its leases last OCR_TIMEOUT_MS + USAGE_LEASE_GRACE_MS. */
  open(key: AuthenticatedKey): UsageLedger {
    return new UsageLedger(key, this.usage, this.config.usage.leaseMs);
  }

  /**
   * Settles a request's leases, in the background: charged when its answer was `delivered`,
   * released otherwise. A failure is logged; the leases then expire and are given back, so an
   * outage of the database can cost a charge, never bill twice.
   */
  settle(ledger: UsageLedger, delivered: boolean): void {
    const settling = (delivered ? ledger.charge() : ledger.release())
      .catch((error: unknown) => {
        this.logger.error(
          `Usage settlement failed (${errorType(error)}): the leases are given back when they expire${delivered ? ', uncharged' : ''}.`,
        );
      })
      .finally(() => this.settling.delete(settling));
    this.settling.add(settling);
  }

  /** Settlements of the last answers finish before the database connection closes. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.settling]);
  }

  /** Today's usage of the key's lineage. */
  async current(key: AuthenticatedKey): Promise<UsageSnapshot> {
    const today = await this.usage.usedToday(key.lineageId);
    return toSnapshot(today.date, today.used, key.dailyLimit);
  }

  /**
   * What `GET /api/v1/usage` answers; with `days`, today is the last day of the history read.
   * `readAlready`: today's usage as this request read it before (the throttler guard's reading).
   */
  async report(key: AuthenticatedKey, days?: number, readAlready?: UsageSnapshot): Promise<UsageResponseDto> {
    const history = days === undefined ? undefined : await this.usage.history(key.lineageId, days);
    const latest = history?.at(-1);
    const today = latest
      ? toSnapshot(latest.date, latest.used, key.dailyLimit)
      : (readAlready ?? (await this.current(key)));
    const { rps, burst } = keyRate(this.config.tiers, key.tier, key.restrictions?.rate);
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
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}
