import { Matches } from 'class-validator';

/**
 * Characters a stored, listed and logged name must not hold: C0 and C1 controls (NUL, which
 * Postgres cannot store, included), line and paragraph separators, bidirectional overrides and
 * isolates (which make a listing read differently than it sorts), and unpaired surrogates (which
 * would be stored silently replaced).
 */
const NOT_PLAIN = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const PLAIN = new RegExp(`^(?:(?!${NOT_PLAIN.source}).)*$`, 'su');

/** A string of printable text: see NOT_PLAIN for what is refused. */
export function IsPlainText(): PropertyDecorator {
  return Matches(PLAIN, {
    message: ({ property }) =>
      `${property} must be plain text, without control characters, line separators or bidirectional overrides`,
  });
}
