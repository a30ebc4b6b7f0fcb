import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TurnBatch } from './turn-batch';

export type ReserveOutcome =
  | {
      admitted: true;
      /** The UTC day (`YYYY-MM-DD`) the units were counted on, decided by the database's clock. */
      day: string;
      /** Units used that day after the reservation, leased units included. */
      used: number;
      leaseId: string;
    }
  | { admitted: false; day: string; /** Units used that day as last seen. */ used: number };

export interface DayUsage {
  date: string;
  used: number;
}

/** What a release gave back, per lineage and day: leases, units, and the day's count afterwards. */
export interface Released {
  lineageId: string;
  day: string;
  leases: number;
  units: number;
  used: number;
}

// The quota period is the UTC day of the database's clock, so every gateway process agrees on it.
const TODAY = `(now() AT TIME ZONE 'UTC')::date`;

/**
 * Takes the released leases (a CTE named `released` with lineage_id, day, units) off their days'
 * counts (CTE `counted`), in the statement that deleted them: a lease is given back exactly once,
 * whichever process deletes it first. Postgres runs a data-modifying CTE to completion whether or
 * not the final SELECT reads it.
 */
const GIVE_BACK = `
  sums AS (
    SELECT lineage_id, day, count(*)::int AS leases, sum(units)::int AS units
    FROM released GROUP BY lineage_id, day
  ),
  counted AS (
    UPDATE daily_usage u SET used = GREATEST(u.used - s.units, 0)
    FROM sums s WHERE u.lineage_id = s.lineage_id AND u.day = s.day
    RETURNING u.lineage_id, to_char(u.day, 'YYYY-MM-DD') AS day, s.leases, s.units, u.used
  )`;

const RELEASED = `SELECT lineage_id AS "lineageId", day, leases, units, used FROM counted`;

/**
 * `daily_usage` (units counted per key lineage and UTC day) and `usage_leases` (the units of
 * requests still in flight, counted already). Every statement here is atomic on its own, so the
 * accounting holds with any number of gateway processes, and with one that dies mid-request.
 */
@Injectable()
export class DailyUsageRepository {
  private readonly todays = new TurnBatch<string, DayUsage>((lineageIds) =>
    this.usedTodayByLineage(lineageIds),
  );

  constructor(private readonly db: DataSource) {}

  /**
   * Counts `units` against today's `limit` and writes their lease, expiring `leaseMs` from now, in
   * one statement: the upsert adds only while the sum stays within the limit (the conflicting row
   * is locked, so concurrent reservations from any number of processes serialise on it), a first
   * reservation larger than the limit inserts nothing, and the lease exists exactly when the units
   * were counted. Refused reservations change nothing.
   */
  async reserve(lineageId: string, units: number, limit: number, leaseMs: number): Promise<ReserveOutcome> {
    const rows = await this.db.query<
      Array<{ day: string; counted: number | null; seen: number | null; lease: string | null }>
    >(
      `WITH today AS (SELECT ${TODAY} AS day),
       counted AS (
         INSERT INTO daily_usage AS u (lineage_id, day, used)
         SELECT $1, today.day, $2::int FROM today WHERE $2::int <= $3::int
         ON CONFLICT (lineage_id, day) DO UPDATE SET used = u.used + EXCLUDED.used
           WHERE u.used + EXCLUDED.used <= $3::int
         RETURNING u.lineage_id, u.day, u.used
       ),
       leased AS (
         INSERT INTO usage_leases (lineage_id, day, units, expires_at)
         SELECT lineage_id, day, $2::int, now() + $4::int * interval '1 millisecond' FROM counted
         RETURNING id
       )
       SELECT to_char(today.day, 'YYYY-MM-DD') AS day,
              (SELECT used FROM counted) AS counted,
              (SELECT id::text FROM leased) AS lease,
              (SELECT used FROM daily_usage WHERE lineage_id = $1 AND day = today.day) AS seen
       FROM today`,
      [lineageId, units, limit, leaseMs],
    );
    const { day, counted, seen, lease } = rows[0];
    return counted === null || lease === null
      ? { admitted: false, day, used: seen ?? 0 }
      : { admitted: true, day, used: counted, leaseId: lease };
  }

  /**
   * Gives `units` of a lease back to the day it was counted on (not today: a refund may cross
   * midnight). Nothing happens, and undefined comes back, when the lease is gone (settled or
   * released by a sweep) or holds fewer units.
   */
  async refund(leaseId: string, units: number): Promise<number | undefined> {
    const rows = await this.db.query<Array<{ used: number }>>(
      `WITH shrunk AS (
         UPDATE usage_leases SET units = units - $2::int
         WHERE id = $1::bigint AND units >= $2::int
         RETURNING lineage_id, day
       ),
       counted AS (
         UPDATE daily_usage u SET used = GREATEST(u.used - $2::int, 0)
         FROM shrunk s WHERE u.lineage_id = s.lineage_id AND u.day = s.day
         RETURNING u.used
       )
       SELECT used FROM counted`,
      [leaseId, units],
    );
    return rows[0]?.used;
  }

  /**
   * Settles leases, each keeping `keep` of its units counted (what was delivered: all of them
   * for a charge, none when the client left) and giving the rest back to its day, in one
   * statement: a lease is settled once, whoever deletes it first (another settlement or a sweep).
   * Answers the ids that were still there.
   */
  async settle(leases: ReadonlyArray<{ id: string; keep: number }>): Promise<string[]> {
    const rows = await this.db.query<Array<{ id: string }>>(
      `WITH wanted AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS w(id, keep)),
       settled AS (
         DELETE FROM usage_leases l USING wanted w WHERE l.id = w.id
         RETURNING l.id, l.lineage_id, l.day, GREATEST(l.units - w.keep, 0) AS units
       ),
       released AS (SELECT lineage_id, day, units FROM settled WHERE units > 0),
       ${GIVE_BACK}
       SELECT id::text AS id FROM settled`,
      [leases.map((lease) => lease.id), leases.map((lease) => lease.keep)],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Gives back up to `batch` leases past their expiry (of one lineage when given): those of
   * requests whose gateway died before settling them. Leases another process is sweeping at the
   * same moment are skipped, not waited for.
   */
  async releaseExpired(options: { lineageId?: string; batch?: number } = {}): Promise<Released[]> {
    return this.db.query<Released[]>(
      `WITH expired AS (
         SELECT id FROM usage_leases
         WHERE expires_at < now() AND ($1::varchar IS NULL OR lineage_id = $1)
         ORDER BY expires_at LIMIT $2::int
         FOR UPDATE SKIP LOCKED
       ),
       released AS (
         DELETE FROM usage_leases l USING expired e WHERE l.id = e.id RETURNING l.lineage_id, l.day, l.units
       ), ${GIVE_BACK}
       ${RELEASED}`,
      [options.lineageId ?? null, options.batch ?? 1000],
    );
  }

  /** Units used on `day`, today when omitted. */
  async usedOn(lineageId: string, day?: string): Promise<DayUsage> {
    const rows = await this.db.query<DayUsage[]>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS date, COALESCE(u.used, 0) AS used
       FROM (SELECT COALESCE($2::date, ${TODAY}) AS day) d
       LEFT JOIN daily_usage u ON u.lineage_id = $1 AND u.day = d.day`,
      [lineageId, day ?? null],
    );
    return rows[0];
  }

  /**
   * Today's units of a lineage. Every rate-limited request reads it (the rate-limit headers), so
   * the reads asked for in one turn of the event loop, or while the previous batch is in flight,
   * share one statement (TurnBatch): under load one round trip answers many requests, each as
   * fresh as a statement of its own.
   */
  usedToday(lineageId: string): Promise<DayUsage> {
    return this.todays.read(lineageId);
  }

  private async usedTodayByLineage(lineageIds: string[]): Promise<Map<string, DayUsage>> {
    const rows = await this.db.query<Array<DayUsage & { lineageId: string }>>(
      `SELECT l.id AS "lineageId", to_char(d.day, 'YYYY-MM-DD') AS date, COALESCE(u.used, 0) AS used
       FROM (SELECT ${TODAY} AS day) d
       CROSS JOIN unnest($1::varchar[]) AS l(id)
       LEFT JOIN daily_usage u ON u.lineage_id = l.id AND u.day = d.day`,
      [lineageIds],
    );
    return new Map(rows.map(({ lineageId, date, used }) => [lineageId, { date, used }]));
  }

  /** The last `days` UTC days up to today, oldest first, days without usage as 0. */
  async history(lineageId: string, days: number): Promise<DayUsage[]> {
    return this.db.query<DayUsage[]>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS date, COALESCE(u.used, 0) AS used
       FROM generate_series((${TODAY} - ($2::int - 1))::timestamp, ${TODAY}::timestamp, interval '1 day') AS d(day)
       LEFT JOIN daily_usage u ON u.lineage_id = $1 AND u.day = d.day::date
       ORDER BY d.day`,
      [lineageId, days],
    );
  }
}
