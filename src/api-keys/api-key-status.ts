import type { ApiKey } from './api-key.entity';

export const API_KEY_STATUSES = ['active', 'disabled', 'expired', 'revoked', 'rotating'] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

/**
 * A key's state at a glance, from its row. The first that applies wins: revoked and expired are for
 * good, disabled can be undone; `rotating` is a key superseded by a rotation, still working until
 * its grace ends.
 */
export function apiKeyStatus(key: ApiKey, nowMs = Date.now()): ApiKeyStatus {
  if (key.revokedAt !== null) {
    return 'revoked';
  }
  const ended = (date: Date | null): boolean => date !== null && nowMs >= date.getTime();
  if (ended(key.expiresAt) || ended(key.graceEndsAt)) {
    return 'expired';
  }
  if (!key.enabled) {
    return 'disabled';
  }
  return key.graceEndsAt !== null ? 'rotating' : 'active';
}
