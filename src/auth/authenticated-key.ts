import type { ApiKeyScope } from '../api-keys/api-key-scopes';
import type { ParsedCidr, RateOverride } from '../api-keys/key-restrictions';

/** What the auth guard attaches to `request.apiKey` once a key is verified. */
export interface AuthenticatedKey {
  id: string;
  /** Usage and cache partition: shared by a key and the keys rotated from it. */
  lineageId: string;
  name: string;
  tier: string;
  scopes: ApiKeyScope[];
  /** Effective daily quota: the key's override, else its tier's. */
  dailyLimit: number;
  /** Epoch ms at which the key stops working (expiry or end of its rotation grace); null: never. */
  endsAt?: number | null;
  /** Where the key may be used from, and its own rate; absent: no restriction (for a token: its parent's). */
  restrictions?: AuthenticatedKeyRestrictions;
}

export interface AuthenticatedKeyRestrictions {
  /** Normalised origins; empty: any. */
  origins: readonly string[];
  /** Parsed once per verification, matched on every request; empty: any address. */
  cidrs: readonly ParsedCidr[];
  /** In place of the tier's rate; null: the tier's. */
  rate: RateOverride | null;
}
