/** Per-tier limits: a token bucket (`rps` refill, `burst` capacity) and a daily quota. */
export interface TierLimits {
  rps: number;
  burst: number;
  daily: number;
}

export type Tiers = Readonly<Record<string, Readonly<TierLimits>>>;

export const DEFAULT_TIERS: Tiers = {
  free: { rps: 2, burst: 5, daily: 100 },
  pro: { rps: 10, burst: 20, daily: 1000 },
  enterprise: { rps: 50, burst: 100, daily: 100000 },
};

/**
 * The limits of a key's tier. A key whose tier was removed from the configuration gets the most
 * restrictive configured rate instead of none: an unknown tier must not mean unlimited.
 */
export function tierLimits(tiers: Tiers, tier: string): Readonly<TierLimits> {
  const known = Object.prototype.hasOwnProperty.call(tiers, tier) ? tiers[tier] : undefined;
  if (known) {
    return known;
  }
  return Object.values(tiers).reduce((strictest, t) =>
    t.rps < strictest.rps || (t.rps === strictest.rps && t.burst < strictest.burst) ? t : strictest,
  );
}

/** A key's rate: a bucket of `burst` requests refilled at `rps`, so empty to full in `windowMs`. */
export interface KeyRate {
  rps: number;
  burst: number;
  windowMs: number;
}

/**
 * The rate a key gets: its own when it has one (`requests` per `windowSeconds`: that many at once,
 * refilled evenly over the window), else its tier's (see tierLimits).
 */
export function keyRate(
  tiers: Tiers,
  tier: string,
  own?: { requests: number; windowSeconds: number } | null,
): KeyRate {
  if (own !== undefined && own !== null) {
    return {
      rps: Number((own.requests / own.windowSeconds).toFixed(4)),
      burst: own.requests,
      windowMs: own.windowSeconds * 1000,
    };
  }
  const { rps, burst } = tierLimits(tiers, tier);
  return { rps, burst, windowMs: (burst / rps) * 1000 };
}

/** Tier names are stored in `api_keys.tier` (varchar 64) and appear in URLs and logs. */
const TIER_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

const LIMIT_FIELDS = ['rps', 'burst', 'daily'] as const;

/**
 * Merges the `TIERS` JSON over the defaults: a known tier may override some of its fields, a new
 * tier must give all three. Returns the problems found, each naming the offending path.
 */
export function parseTiers(json: string | undefined): { tiers: Tiers; errors: string[] } {
  if (json === undefined || json.trim() === '') {
    return { tiers: DEFAULT_TIERS, errors: [] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { tiers: DEFAULT_TIERS, errors: ['TIERS must be valid JSON'] };
  }
  if (!isPlainObject(parsed)) {
    return {
      tiers: DEFAULT_TIERS,
      errors: ['TIERS must be a JSON object of {"<tier>": {"rps", "burst", "daily"}}'],
    };
  }
  const errors: string[] = [];
  const tiers: Record<string, TierLimits> = { ...DEFAULT_TIERS };
  for (const [name, value] of Object.entries(parsed)) {
    if (!TIER_NAME.test(name)) {
      errors.push(`TIERS: tier name "${name.slice(0, 64)}" must match ${TIER_NAME.source}`);
      continue;
    }
    if (!isPlainObject(value)) {
      errors.push(`TIERS.${name} must be an object with rps, burst and daily`);
      continue;
    }
    const unknown = Object.keys(value).filter(
      (field) => !(LIMIT_FIELDS as readonly string[]).includes(field),
    );
    if (unknown.length > 0) {
      errors.push(`TIERS.${name} has unknown field(s): ${unknown.join(', ')}`);
      continue;
    }
    const base: Partial<TierLimits> = DEFAULT_TIERS[name] ?? {};
    const merged: Partial<TierLimits> = { ...base, ...(value as Partial<TierLimits>) };
    const problems = validateLimits(name, merged);
    if (problems.length > 0) {
      errors.push(...problems);
      continue;
    }
    tiers[name] = merged as TierLimits;
  }
  return { tiers, errors };
}

function validateLimits(name: string, limits: Partial<TierLimits>): string[] {
  const problems: string[] = [];
  if (typeof limits.rps !== 'number' || !Number.isFinite(limits.rps) || limits.rps <= 0) {
    problems.push(`TIERS.${name}.rps must be a number above 0`);
  }
  if (!Number.isInteger(limits.burst) || (limits.burst as number) < 1) {
    problems.push(`TIERS.${name}.burst must be an integer of at least 1`);
  }
  if (!Number.isInteger(limits.daily) || (limits.daily as number) < 0) {
    problems.push(`TIERS.${name}.daily must be an integer of at least 0`);
  }
  return problems;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
