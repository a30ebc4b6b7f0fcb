import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ReserveOutcome {
  admitted: boolean;
  /** The UTC day (`YYYY-MM-DD`) the units were counted on, decided by the database's clock. */
  day: string;
  /** Units used that day: after the reservation when admitted, as last seen when refused. */
  used: number;
}

export interface DayUsage {
  date: string;
  used: number;
}

// The quota period is the UTC day of the database's clock, so every gateway process agrees on it.
const TODAY = `(now() AT TIME ZONE 'UTC')::date`;

/** `daily_usage`: units counted per key lineage and UTC day. */
@Injectable()
export class DailyUsageRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Counts `units` against today's `limit` in one statement: the upsert adds only while the sum
   * stays within the limit (the conflicting row is locked, so concurrent reservations from any
   * number of processes serialise on it), and a first reservation larger than the limit inserts
   * nothing. Refused reservations change nothing.
   */
  async reserve(lineageId: string, units: number, limit: number): Promise<ReserveOutcome> {
    const rows = await this.db.query<Array<{ day: string; counted: number | null; seen: number | null }>>(
      `WITH today AS (SELECT ${TODAY} AS day),
       counted AS (
         INSERT INTO daily_usage AS u (lineage_id, day, used)
         SELECT $1, today.day, $2::int FROM today WHERE $2::int <= $3::int
         ON CONFLICT (lineage_id, day) DO UPDATE SET used = u.used + EXCLUDED.used
           WHERE u.used + EXCLUDED.used <= $3::int
         RETURNING u.used
       )
       SELECT to_char(today.day, 'YYYY-MM-DD') AS day,
              (SELECT used FROM counted) AS counted,
              (SELECT used FROM daily_usage WHERE lineage_id = $1 AND day = today.day) AS seen
       FROM today`,
      [lineageId, units, limit],
    );
    const { day, counted, seen } = rows[0];
    return counted === null
      ? { admitted: false, day, used: seen ?? 0 }
      : { admitted: true, day, used: counted };
  }

  /** Gives units back to the day they were reserved on (not today: a refund may cross midnight). */
  async refund(lineageId: string, day: string, units: number): Promise<number> {
    const rows = await this.db.query<Array<{ used: number }>>(
      // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count] instead of rows.
      `WITH refunded AS (
         UPDATE daily_usage SET used = GREATEST(used - $3::int, 0)
         WHERE lineage_id = $1 AND day = $2::date
         RETURNING used
       )
       SELECT used FROM refunded`,
      [lineageId, day, units],
    );
    return rows[0]?.used ?? 0;
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
