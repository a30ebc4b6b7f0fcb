import type { DayUsage, Released, ReserveOutcome } from '../daily-usage.repository';

interface Lease {
  lineageId: string;
  day: string;
  units: number;
  expiresAt: number;
}

/**
 * DailyUsageRepository's contract over maps, on this process's clock (fake timers work): for the
 * unit specs. The atomicity itself is proven against Postgres in test/quota-race.e2e-spec.ts.
 */
export class MemoryUsageRepository {
  readonly used = new Map<string, number>();
  readonly leases = new Map<string, Lease>();
  day = '2026-11-27';
  private nextLease = 1;

  reserve(lineageId: string, units: number, limit: number, leaseMs: number): Promise<ReserveOutcome> {
    const used = this.count(lineageId, this.day);
    if (used + units > limit) {
      return Promise.resolve({ admitted: false, day: this.day, used });
    }
    this.used.set(`${lineageId}/${this.day}`, used + units);
    const leaseId = String(this.nextLease++);
    this.leases.set(leaseId, { lineageId, day: this.day, units, expiresAt: Date.now() + leaseMs });
    return Promise.resolve({ admitted: true, day: this.day, used: used + units, leaseId });
  }

  refund(leaseId: string, units: number): Promise<number | undefined> {
    const lease = this.leases.get(leaseId);
    if (lease === undefined || lease.units < units) {
      return Promise.resolve(undefined);
    }
    lease.units -= units;
    return Promise.resolve(this.takeOff(lease.lineageId, lease.day, units));
  }

  settle(leases: ReadonlyArray<{ id: string; keep: number }>): Promise<string[]> {
    const settled = leases.filter(({ id }) => this.leases.has(id));
    for (const { id, keep } of settled) {
      const lease = this.leases.get(id) as Lease;
      this.takeOff(lease.lineageId, lease.day, Math.max(0, lease.units - keep));
      this.leases.delete(id);
    }
    return Promise.resolve(settled.map(({ id }) => id));
  }

  releaseExpired(options: { lineageId?: string; batch?: number } = {}): Promise<Released[]> {
    const expired = [...this.leases]
      .filter(([, lease]) => lease.expiresAt < Date.now())
      .filter(([, lease]) => options.lineageId === undefined || lease.lineageId === options.lineageId)
      .slice(0, options.batch ?? 1000)
      .map(([id]) => id);
    return Promise.resolve(this.giveBack(expired));
  }

  usedOn(lineageId: string, day?: string): Promise<DayUsage> {
    const date = day ?? this.day;
    return Promise.resolve({ date, used: this.count(lineageId, date) });
  }

  usedToday(lineageId: string): Promise<DayUsage> {
    return this.usedOn(lineageId);
  }

  history(lineageId: string, days: number): Promise<DayUsage[]> {
    const today = Date.parse(`${this.day}T00:00:00Z`);
    return Promise.resolve(
      Array.from({ length: days }, (_, i) => {
        const date = new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
        return { date, used: this.count(lineageId, date) };
      }),
    );
  }

  count(lineageId: string, day: string = this.day): number {
    return this.used.get(`${lineageId}/${day}`) ?? 0;
  }

  private giveBack(leaseIds: string[]): Released[] {
    const released = new Map<string, Released>();
    for (const id of leaseIds) {
      const lease = this.leases.get(id) as Lease;
      this.leases.delete(id);
      const day = `${lease.lineageId}/${lease.day}`;
      const entry = released.get(day) ?? {
        lineageId: lease.lineageId,
        day: lease.day,
        leases: 0,
        units: 0,
        used: 0,
      };
      entry.leases += 1;
      entry.units += lease.units;
      entry.used = this.takeOff(lease.lineageId, lease.day, lease.units);
      released.set(day, entry);
    }
    return [...released.values()];
  }

  private takeOff(lineageId: string, day: string, units: number): number {
    const used = Math.max(0, this.count(lineageId, day) - units);
    this.used.set(`${lineageId}/${day}`, used);
    return used;
  }
}
