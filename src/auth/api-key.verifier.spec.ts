import { generateApiKey } from '../api-keys/api-key-format';
import { ApiKey } from '../api-keys/api-key.entity';
import { ApiKeyHasher } from '../api-keys/api-key.hasher';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { loadConfig } from '../config';
import type { ApiMetrics } from '../metrics/api-metrics';
import { ApiKeyVerifier } from './api-key.verifier';
import { KeyVerificationCache } from './key-verification.cache';
import { LastUsedRecorder } from './last-used.recorder';

const hasher = new ApiKeyHasher(4);

async function row(plaintext: string, id: string, overrides: Partial<ApiKey> = {}): Promise<ApiKey> {
  return Object.assign(new ApiKey(), {
    id,
    lineageId: 'lineage00001',
    name: 'test',
    tier: 'pro',
    scopes: ['ocr'],
    keyHash: await hasher.hash(plaintext),
    enabled: true,
    dailyLimit: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    rotatedFrom: null,
    graceEndsAt: null,
    allowedOrigins: [],
    allowedCidrs: [],
    rateLimit: null,
    rateWindowSeconds: null,
    ...overrides,
  });
}

describe(ApiKeyVerifier.name, () => {
  let rows: Map<string, ApiKey>;
  let findById: jest.Mock;
  let compare: jest.SpyInstance;
  let record: jest.Mock;
  let authFailure: jest.Mock;
  let cache: KeyVerificationCache;
  let verifier: ApiKeyVerifier;

  beforeEach(() => {
    rows = new Map();
    findById = jest.fn((id: string) => Promise.resolve(rows.get(id) ?? null));
    compare = jest.spyOn(hasher, 'verify');
    compare.mockClear();
    record = jest.fn();
    authFailure = jest.fn();
    cache = new KeyVerificationCache(60_000, 60_000);
    cache.listening(performance.now());
    verifier = new ApiKeyVerifier(
      { findById } as unknown as ApiKeyRepository,
      hasher,
      cache,
      { record } as unknown as LastUsedRecorder,
      loadConfig({}),
      { authFailure } as unknown as ApiMetrics,
    );
  });

  async function stored(overrides: Partial<ApiKey> = {}): Promise<string> {
    const { id, plaintext } = generateApiKey();
    rows.set(id, await row(plaintext, id, overrides));
    return plaintext;
  }

  it('should accept a valid key and give the tier quota when there is no override', async () => {
    const key = await stored();
    const verified = await verifier.verify(key);
    expect(verified).toMatchObject({
      lineageId: 'lineage00001',
      tier: 'pro',
      scopes: ['ocr'],
      dailyLimit: 1000,
    });
    expect(record).toHaveBeenCalledWith(verified?.id);
  });

  it("should give the key's own daily limit over the tier's", async () => {
    const key = await stored({ dailyLimit: 7 });
    expect((await verifier.verify(key))?.dailyLimit).toBe(7);
  });

  it("should give the key's restrictions, its networks parsed once, and its own rate", async () => {
    const key = await stored({
      allowedOrigins: ['https://app.example.com'],
      allowedCidrs: ['203.0.113.0/24'],
      rateLimit: 30,
      rateWindowSeconds: 60,
    });
    const restrictions = (await verifier.verify(key))?.restrictions;
    expect(restrictions?.origins).toEqual(['https://app.example.com']);
    expect(restrictions?.cidrs.map(([network, prefix]) => `${network.toString()}/${prefix}`)).toEqual([
      '203.0.113.0/24',
    ]);
    expect(restrictions?.rate).toEqual({ requests: 30, windowSeconds: 60 });
    expect((await verifier.verify(await stored()))?.restrictions).toEqual({
      origins: [],
      cidrs: [],
      rate: null,
    });
  });

  it('should refuse a missing key without touching the database', async () => {
    await expect(verifier.verify(undefined)).resolves.toBeNull();
    await expect(verifier.verify('')).resolves.toBeNull();
    expect(findById).not.toHaveBeenCalled();
    expect(authFailure.mock.calls).toEqual([['missing'], ['missing']]);
  });

  it('should spend one bcrypt compare on a malformed key and on an unknown id', async () => {
    await expect(verifier.verify('not-a-key')).resolves.toBeNull();
    await expect(verifier.verify(generateApiKey().plaintext)).resolves.toBeNull();
    expect(compare).toHaveBeenCalledTimes(2);
    expect(compare).toHaveBeenNthCalledWith(1, 'not-a-key', null);
    expect(compare.mock.calls[1][1]).toBeNull();
    expect(authFailure.mock.calls).toEqual([['malformed'], ['unknown_key']]);
  });

  it('should refuse a wrong secret for a known id', async () => {
    const key = await stored();
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    await expect(verifier.verify(wrong)).resolves.toBeNull();
    expect(authFailure).toHaveBeenCalledWith('wrong_secret');
  });

  it.each<[string, Partial<ApiKey>, string]>([
    ['disabled', { enabled: false }, 'disabled'],
    ['expired', { expiresAt: new Date(Date.now() - 1000) }, 'expired'],
    ['revoked', { revokedAt: new Date(Date.now() - 1000) }, 'revoked'],
    ['past its rotation grace', { graceEndsAt: new Date(Date.now() - 1) }, 'expired'],
    ['of a tier no longer configured', { tier: 'gold' }, 'unknown_tier'],
  ])(
    'should refuse a key that is %s, after the same bcrypt compare, counting why',
    async (_case, overrides, reason) => {
      const key = await stored(overrides);
      await expect(verifier.verify(key)).resolves.toBeNull();
      expect(compare).toHaveBeenCalledTimes(1);
      expect(compare.mock.calls[0][1]).toMatch(/^\$2b\$/);
      expect(authFailure.mock.calls).toEqual([[reason]]);
    },
  );

  it('should accept a rotated key during its grace', async () => {
    const key = await stored({ graceEndsAt: new Date(Date.now() + 60_000) });
    await expect(verifier.verify(key)).resolves.not.toBeNull();
  });

  it('should serve a repeated key from the cache without the database or bcrypt', async () => {
    const key = await stored();
    await verifier.verify(key);
    await verifier.verify(key);
    expect(findById).toHaveBeenCalledTimes(1);
    expect(compare).toHaveBeenCalledTimes(1);
    expect(record).toHaveBeenCalledTimes(2);
  });

  it('should check expiry on a cache hit', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const key = await stored({ expiresAt: new Date(Date.now() + 5000) });
      await expect(verifier.verify(key)).resolves.not.toBeNull();
      jest.setSystemTime(Date.now() + 5000);
      await expect(verifier.verify(key)).resolves.toBeNull();
      expect(findById).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('should check the database again once the key was invalidated', async () => {
    const key = await stored();
    const verified = await verifier.verify(key);
    const id = verified?.id as string;
    rows.set(id, Object.assign(rows.get(id) as ApiKey, { enabled: false }));
    cache.invalidate(id);
    await expect(verifier.verify(key)).resolves.toBeNull();
    expect(findById).toHaveBeenCalledTimes(2);
  });

  it('should not cache a failure', async () => {
    const key = await stored({ enabled: false });
    await verifier.verify(key);
    await verifier.verify(key);
    expect(findById).toHaveBeenCalledTimes(2);
  });

  it('should re-read the row of a remembered key, without bcrypt, while the cache is not current', async () => {
    const key = await stored();
    const verified = await verifier.verify(key);
    cache.deaf();
    await expect(verifier.verify(key)).resolves.toEqual(verified);
    expect(findById).toHaveBeenCalledTimes(2);
    expect(compare).toHaveBeenCalledTimes(1);
    rows.set(
      verified?.id as string,
      Object.assign(rows.get(verified?.id as string) as ApiKey, { enabled: false }),
    );
    await expect(verifier.verify(key)).resolves.toBeNull();
    expect(compare).toHaveBeenCalledTimes(1);
    // Refused once, forgotten: the next try pays bcrypt again.
    await expect(verifier.verify(key)).resolves.toBeNull();
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it('should share one database read and one bcrypt compare among concurrent verifications of a key', async () => {
    const key = await stored();
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(key)));
    expect(new Set(results.map((r) => r?.id)).size).toBe(1);
    expect(results[0]).not.toBeNull();
    expect(findById).toHaveBeenCalledTimes(1);
    expect(compare).toHaveBeenCalledTimes(1);
    expect(record).toHaveBeenCalledTimes(20);
  });

  it('should share a refusal among concurrent verifications without remembering it', async () => {
    const key = await stored();
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    const results = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(wrong)));
    expect(results).toEqual(Array(10).fill(null));
    expect(compare).toHaveBeenCalledTimes(1);
    await verifier.verify(wrong);
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it('should share a database failure among concurrent verifications, then try again', async () => {
    const key = await stored();
    findById.mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => verifier.verify(key)));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(findById).toHaveBeenCalledTimes(1);
    await expect(verifier.verify(key)).resolves.not.toBeNull();
  });

  it('should refuse a malformed key without the database, so that an outage cannot make it fail otherwise', async () => {
    findById.mockRejectedValue(new Error('Connection terminated unexpectedly'));
    await expect(verifier.verify('ocr_not-a-key')).resolves.toBeNull();
    expect(findById).not.toHaveBeenCalled();
  });

  it('should not let different secrets for one id share a verification', async () => {
    const key = await stored();
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    const [good, bad] = await Promise.all([verifier.verify(key), verifier.verify(wrong)]);
    expect(good).not.toBeNull();
    expect(bad).toBeNull();
  });

  describe('verifyKeyId (the key behind a short-lived token)', () => {
    it('should give the key of a usable row, without bcrypt, and refuse it once it is not usable', async () => {
      const key = await stored();
      const id = key.split('_')[1];
      await expect(verifier.verifyKeyId(id)).resolves.toMatchObject({
        id,
        scopes: ['ocr'],
        dailyLimit: 1000,
      });
      expect(compare).not.toHaveBeenCalled();
      expect(record).toHaveBeenCalledWith(id);
      rows.get(id)!.revokedAt = new Date();
      cache.invalidate(id);
      await expect(verifier.verifyKeyId(id)).resolves.toBeNull();
      expect(authFailure).toHaveBeenLastCalledWith('revoked');
    });

    it('should refuse a disabled, expired or unknown key', async () => {
      const disabled = (await stored({ enabled: false })).split('_')[1];
      const expired = (await stored({ expiresAt: new Date(Date.now() - 1000) })).split('_')[1];
      for (const id of [disabled, expired, 'unknown00001']) {
        await expect(verifier.verifyKeyId(id)).resolves.toBeNull();
      }
      expect(authFailure.mock.calls).toEqual([['disabled'], ['expired'], ['unknown_key']]);
    });

    it('should serve a repeated id from the cache until the key changes', async () => {
      const id = (await stored()).split('_')[1];
      await verifier.verifyKeyId(id);
      await verifier.verifyKeyId(id);
      expect(findById).toHaveBeenCalledTimes(1);
      cache.invalidate(id);
      await verifier.verifyKeyId(id);
      expect(findById).toHaveBeenCalledTimes(2);
    });
  });
});
