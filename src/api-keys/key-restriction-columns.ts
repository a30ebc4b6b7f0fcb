import type { ApiKey } from './api-key.entity';
import type { KeyRestrictionColumn } from './api-key.repository';
import type { RateLimitOverrideDto } from './dto/key-restrictions.dto';
import { DEFAULT_RATE_WINDOW_SECONDS, normalizeCidrs, normalizeOrigins } from './key-restrictions';

type RestrictionColumns = Pick<ApiKey, KeyRestrictionColumn>;

/** A key made without restrictions: any origin, any address, its tier's rate. */
export const NO_RESTRICTIONS: Readonly<RestrictionColumns> = {
  allowedOrigins: [],
  allowedCidrs: [],
  rateLimit: null,
  rateWindowSeconds: null,
};

/**
 * The columns of the restrictions given (validated by the DTOs already), in their stored form:
 * origins and networks normalised (what the guard compares with), the rate's window defaulted.
 */
export function restrictionColumns(input: {
  allowedOrigins?: string[];
  allowedCidrs?: string[];
  rateLimit?: RateLimitOverrideDto | null;
}): Partial<RestrictionColumns> {
  const columns: Partial<RestrictionColumns> = {};
  if (input.allowedOrigins !== undefined) {
    columns.allowedOrigins = normalizeOrigins(input.allowedOrigins);
  }
  if (input.allowedCidrs !== undefined) {
    columns.allowedCidrs = normalizeCidrs(input.allowedCidrs);
  }
  if (input.rateLimit !== undefined) {
    columns.rateLimit = input.rateLimit?.requests ?? null;
    columns.rateWindowSeconds =
      input.rateLimit === null ? null : (input.rateLimit.windowSeconds ?? DEFAULT_RATE_WINDOW_SECONDS);
  }
  return columns;
}
