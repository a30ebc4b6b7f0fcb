import { Logger } from '@nestjs/common';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { DailyUsageRepository, ReserveOutcome } from './daily-usage.repository';
import { Reservation } from './reservation';
import { quotaExceeded, toSnapshot, UsageSnapshot } from './usage-snapshot';

/**
 * The quota units of one request. Services reserve through it (one lease per reservation, counted
 * at once so the quota is never overrun) and refund what produced no result; the request's
 * settlement (UsageSettlementInterceptor) then charges the rest once the answer has been sent, or
 * releases it when the client left first. A lease nobody settles expires and is given back by a
 * sweep (LeaseSweeper), so a gateway that dies mid-request bills nothing it did not deliver.
 */
export class UsageLedger {
  private static readonly logger = new Logger(UsageLedger.name);
  private readonly reservations: Reservation[] = [];
  private latest?: UsageSnapshot;
  private pending = 0;
  /** Statements overlapped, so their answers may have arrived in another order than they ran. */
  private overlapped = false;

  constructor(
    private readonly key: AuthenticatedKey,
    private readonly usage: DailyUsageRepository,
    private readonly leaseMs: number,
  ) {}

  /**
   * Counts `units` (one per image) against today's quota, atomically across all processes.
   * @throws ApiError 429 quota_exceeded, with Retry-After until the period resets, when the
   *   units do not fit; nothing is counted then.
   */
  async reserve(units = 1): Promise<Reservation> {
    if (!Number.isInteger(units) || units < 1) {
      throw new RangeError(`units must be a positive integer, got ${units}`);
    }
    const outcome = await this.track(() => this.reserveOrReclaim(units));
    const snapshot = this.note(outcome.day, outcome.used);
    if (!outcome.admitted) {
      throw quotaExceeded(units, snapshot);
    }
    const reservation: Reservation = new Reservation(outcome.leaseId, outcome.day, units, (count) =>
      this.refund(reservation, count),
    );
    this.reservations.push(reservation);
    return reservation;
  }

  /** The quota after this request's latest change; undefined while it has made none. */
  get snapshot(): UsageSnapshot | undefined {
    return this.latest;
  }

  /**
   * The quota after all of this request's changes. Concurrent reservations and refunds (a batch)
   * answer in whatever order the database finishes them, so then it is read once more.
   */
  async settledSnapshot(): Promise<UsageSnapshot | undefined> {
    if (this.overlapped && this.pending === 0) {
      this.overlapped = false;
      const today = await this.usage.usedOn(this.key.lineageId);
      this.note(today.date, today.used);
    }
    return this.latest;
  }

  /**
   * The answer was sent: the units still held become charges (the leases go, the count stays).
   * Units whose refund failed are given back here, with the lease.
   */
  async charge(): Promise<void> {
    const leases = this.takeOpen();
    if (leases.length === 0) {
      return;
    }
    const settled = new Set(await this.usage.settle(leases));
    const lost = leases.filter((lease) => !settled.has(lease.id) && lease.keep > 0);
    if (lost.length > 0) {
      // Swept as expired before the answer went out: the client got it for free, never twice.
      const units = lost.reduce((sum, lease) => sum + lease.keep, 0);
      UsageLedger.logger.warn(
        `${units} unit(s) delivered after their lease had been released: not charged (USAGE_LEASE_GRACE_MS too short?)`,
      );
    }
  }

  /** The client left before the answer was sent: every unit still held goes back. */
  async release(): Promise<void> {
    const leases = this.takeOpen();
    if (leases.length > 0) {
      await this.usage.settle(leases.map(({ id }) => ({ id, keep: 0 })));
    }
  }

  /** A refusal may be owed to a dead gateway's expired leases: give those back and try once more. */
  private async reserveOrReclaim(units: number): Promise<ReserveOutcome> {
    const { lineageId, dailyLimit } = this.key;
    const outcome = await this.usage.reserve(lineageId, units, dailyLimit, this.leaseMs);
    if (outcome.admitted) {
      return outcome;
    }
    const reclaimed = await this.usage.releaseExpired({ lineageId });
    return reclaimed.length === 0 ? outcome : this.usage.reserve(lineageId, units, dailyLimit, this.leaseMs);
  }

  private async refund(reservation: Reservation, units: number): Promise<void> {
    const used = await this.track(() => this.usage.refund(reservation.leaseId, units));
    if (used !== undefined) {
      this.note(reservation.day, used);
    }
  }

  /**
   * Reservations not settled yet, with the units each still holds, handed over to the settlement
   * now, so none is settled twice.
   */
  private takeOpen(): Array<{ id: string; keep: number }> {
    return this.reservations
      .filter((reservation) => !reservation.settled)
      .map((reservation) => ({ id: reservation.leaseId, keep: reservation.settle() }));
  }

  private async track<T>(statement: () => Promise<T>): Promise<T> {
    this.pending += 1;
    this.overlapped ||= this.pending > 1;
    try {
      return await statement();
    } finally {
      this.pending -= 1;
    }
  }

  /** Keeps the newest day's state: a refund to yesterday says nothing about today's quota. */
  private note(day: string, used: number): UsageSnapshot {
    const snapshot = toSnapshot(day, used, this.key.dailyLimit);
    if (this.latest === undefined || day >= this.latest.day) {
      this.latest = snapshot;
    }
    return snapshot;
  }
}
