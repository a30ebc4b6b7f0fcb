import { ApiKey } from './api-key.entity';
import { apiKeyStatus } from './api-key-status';

const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);
const past = new Date(NOW - 1000);
const future = new Date(NOW + 3_600_000);

function key(overrides: Partial<ApiKey> = {}): ApiKey {
  return Object.assign(new ApiKey(), {
    enabled: true,
    expiresAt: null,
    revokedAt: null,
    graceEndsAt: null,
    ...overrides,
  });
}

describe(apiKeyStatus.name, () => {
  it.each<[string, Partial<ApiKey>, string]>([
    ['a plain key', {}, 'active'],
    ['a key expiring later', { expiresAt: future }, 'active'],
    ['a disabled key', { enabled: false }, 'disabled'],
    ['a key past its expiry', { expiresAt: past }, 'expired'],
    ['a key at its expiry', { expiresAt: new Date(NOW) }, 'expired'],
    ['a rotated key in its grace', { graceEndsAt: future }, 'rotating'],
    ['a rotated key after its grace', { graceEndsAt: past }, 'expired'],
    ['a revoked key, whatever else', { revokedAt: past, enabled: false, expiresAt: past }, 'revoked'],
    ['a disabled key that expired', { enabled: false, expiresAt: past }, 'expired'],
    ['a disabled key in its grace', { enabled: false, graceEndsAt: future }, 'disabled'],
  ])('should call %s %s', (_case, overrides, expected) => {
    expect(apiKeyStatus(key(overrides), NOW)).toBe(expected);
  });
});
