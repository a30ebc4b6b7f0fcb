const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The instant a quota period ends: the UTC midnight after `day` (`YYYY-MM-DD`). */
export function periodEnd(day: string): Date {
  const match = ISO_DAY.exec(day);
  if (!match) {
    throw new RangeError(`not a calendar day: ${day}`);
  }
  const [, year, month, date] = match;
  return new Date(Date.UTC(Number(year), Number(month) - 1, Number(date)) + DAY_MS);
}

/**
 * Whole seconds from `now` until `instant`, rounded up and never below 1: a Retry-After of 0 would
 * invite an immediate retry that the server still refuses, and the clocks of the database (which
 * decides the day) and of this process may disagree by a moment around midnight.
 */
export function secondsUntil(instant: Date, now: Date = new Date()): number {
  return Math.max(1, Math.ceil((instant.getTime() - now.getTime()) / 1000));
}
