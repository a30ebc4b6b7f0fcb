import type { ApiKeyScope } from '../api-keys/api-key-scopes';

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
}
