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

describe(KeyVerificationCache.name, () => {
  let now: number;
  let cache: KeyVerificationCache;

  beforeEach(() => {
    now = 1_000_000;
    cache = new KeyVerificationCache(60_000, 3, () => now);
    cache.resume();
  });

  it('should fingerprint keys with SHA-256, never keeping the key itself', () => {
    const fingerprint = KeyVerificationCache.fingerprint('ocr_abcdefgh1234_secret');
    expect(fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fingerprint).not.toContain('secret');
    expect(KeyVerificationCache.fingerprint('ocr_abcdefgh1234_secret')).toBe(fingerprint);
    expect(KeyVerificationCache.fingerprint('ocr_abcdefgh1234_secreT')).not.toBe(fingerprint);
  });

  it('should serve an entry until its TTL has passed', () => {
    cache.set('f1', verification('a'), cache.ticket());
    now += 59_999;
    expect(cache.get('f1')?.key.id).toBe('a');
    now += 1;
    expect(cache.get('f1')).toBeUndefined();
  });

  it('should drop every entry of a key on invalidate, and only those', () => {
    cache.set('f1', verification('a'), cache.ticket());
    cache.set('f2', verification('b'), cache.ticket());
    cache.invalidate('a');
    expect(cache.get('f1')).toBeUndefined();
    expect(cache.get('f2')?.key.id).toBe('b');
  });

  it('should ignore a fill that started before an invalidation', () => {
    const ticket = cache.ticket();
    cache.invalidate('a');
    cache.set('f1', verification('a'), ticket);
    expect(cache.get('f1')).toBeUndefined();
  });

  it('should neither serve nor store while suspended, and start empty when resumed', () => {
    cache.set('f1', verification('a'), cache.ticket());
    cache.suspend();
    expect(cache.get('f1')).toBeUndefined();
    cache.set('f2', verification('b'), cache.ticket());
    cache.resume();
    expect(cache.get('f1')).toBeUndefined();
    expect(cache.get('f2')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('should not serve before it is resumed the first time', () => {
    const fresh = new KeyVerificationCache(60_000);
    fresh.set('f1', verification('a'), fresh.ticket());
    expect(fresh.get('f1')).toBeUndefined();
  });

  it('should evict the oldest entry when full', () => {
    for (const id of ['a', 'b', 'c', 'd']) {
      cache.set(`f-${id}`, verification(id), cache.ticket());
    }
    expect(cache.size).toBe(3);
    expect(cache.get('f-a')).toBeUndefined();
    expect(cache.get('f-d')?.key.id).toBe('d');
  });

  it('should cache nothing with a TTL of 0', () => {
    const off = new KeyVerificationCache(0);
    off.resume();
    off.set('f1', verification('a'), off.ticket());
    expect(off.get('f1')).toBeUndefined();
  });
});
