import type { AuthenticatedKey } from './authenticated-key';
import { CachedVerification, KeyVerificationCache } from './key-verification.cache';

function verification(id: string): CachedVerification {
  const key: AuthenticatedKey = {
    id,
    lineageId: id,
    name: id,
    tier: 'free',
    scopes: ['ocr'],
    dailyLimit: 100,
  };
  return { key, endsAt: null };
}

const TRUST_MS = 1500;

describe(KeyVerificationCache.name, () => {
  let now: number;
  let cache: KeyVerificationCache;

  beforeEach(() => {
    now = 1_000_000;
    cache = new KeyVerificationCache(60_000, TRUST_MS, 3, () => now);
    cache.listening(now);
  });

  it('should fingerprint keys with SHA-256, never keeping the key itself', () => {
    const fingerprint = KeyVerificationCache.fingerprint('ocr_abcdefgh1234_secret');
    expect(fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fingerprint).not.toContain('secret');
    expect(KeyVerificationCache.fingerprint('ocr_abcdefgh1234_secret')).toBe(fingerprint);
    expect(KeyVerificationCache.fingerprint('ocr_abcdefgh1234_secreT')).not.toBe(fingerprint);
  });

  it('should keep an entry until its TTL has passed', () => {
    cache.set('f1', verification('a'), cache.ticket());
    now += 59_999;
    expect(cache.get('f1')?.verification.key.id).toBe('a');
    now += 1;
    expect(cache.get('f1')).toBeUndefined();
  });

  it('should answer from memory only within the trust window of the last heartbeat sent', () => {
    cache.set('f1', verification('a'), cache.ticket());
    expect(cache.get('f1')?.current).toBe(true);
    now += TRUST_MS;
    expect(cache.get('f1')).toMatchObject({ current: false, verification: { key: { id: 'a' } } });
    cache.confirmedCurrent(now - 100);
    expect(cache.get('f1')?.current).toBe(true);
    // An older heartbeat coming back late proves nothing newer.
    cache.confirmedCurrent(now - 10_000);
    now += TRUST_MS - 100;
    expect(cache.get('f1')?.current).toBe(false);
  });

  it('should not answer from memory while deaf, and re-check entries of an earlier epoch once listening again', () => {
    cache.set('f1', verification('a'), cache.ticket());
    cache.deaf();
    expect(cache.get('f1')?.current).toBe(false);
    // Re-checked while deaf: kept, still not current.
    cache.set('f1', verification('a'), cache.ticket());
    expect(cache.get('f1')?.current).toBe(false);
    cache.listening(now);
    expect(cache.get('f1')?.current).toBe(false);
    cache.set('f1', verification('a'), cache.ticket());
    expect(cache.get('f1')?.current).toBe(true);
  });

  it('should drop every entry of a key on invalidate, and only those', () => {
    cache.set('f1', verification('a'), cache.ticket());
    cache.set('f2', verification('b'), cache.ticket());
    cache.invalidate('a');
    expect(cache.get('f1')).toBeUndefined();
    expect(cache.get('f2')?.verification.key.id).toBe('b');
  });

  it('should ignore a fill that started before an invalidation or a change of epoch', () => {
    const beforeInvalidation = cache.ticket();
    cache.invalidate('a');
    cache.set('f1', verification('a'), beforeInvalidation);
    expect(cache.get('f1')).toBeUndefined();
    const beforeReconnect = cache.ticket();
    cache.deaf();
    cache.listening(now);
    cache.set('f2', verification('b'), beforeReconnect);
    expect(cache.get('f2')).toBeUndefined();
  });

  it('should not answer from memory before the listener listens the first time', () => {
    const fresh = new KeyVerificationCache(60_000, TRUST_MS, 10, () => now);
    fresh.set('f1', verification('a'), fresh.ticket());
    expect(fresh.get('f1')?.current).toBe(false);
  });

  it('should evict the oldest entry when full', () => {
    for (const id of ['a', 'b', 'c', 'd']) {
      cache.set(`f-${id}`, verification(id), cache.ticket());
    }
    expect(cache.size).toBe(3);
    expect(cache.get('f-a')).toBeUndefined();
    expect(cache.get('f-d')?.verification.key.id).toBe('d');
  });

  it('should cache nothing with a TTL of 0', () => {
    const off = new KeyVerificationCache(0, TRUST_MS, 10, () => now);
    off.listening(now);
    off.set('f1', verification('a'), off.ticket());
    expect(off.get('f1')).toBeUndefined();
  });
});
