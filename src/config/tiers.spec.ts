import { DEFAULT_TIERS, keyRate, tierLimits } from './tiers';

describe('tiers', () => {
  describe(tierLimits.name, () => {
    it('should answer the configured limits of a known tier', () => {
      expect(tierLimits(DEFAULT_TIERS, 'pro')).toBe(DEFAULT_TIERS.pro);
    });

    it('should give an unknown tier the most restrictive configured rate, not none', () => {
      expect(tierLimits(DEFAULT_TIERS, 'gold')).toBe(DEFAULT_TIERS.free);
      expect(tierLimits(DEFAULT_TIERS, 'constructor')).toBe(DEFAULT_TIERS.free);
      const tiers = { a: { rps: 1, burst: 9, daily: 1 }, b: { rps: 1, burst: 3, daily: 1 } };
      expect(tierLimits(tiers, 'x')).toBe(tiers.b);
    });
  });

  describe(keyRate.name, () => {
    it("should give a key's own rate as a bucket of its requests over its window", () => {
      expect(keyRate(DEFAULT_TIERS, 'pro', { requests: 120, windowSeconds: 60 })).toEqual({
        rps: 2,
        burst: 120,
        windowMs: 60_000,
      });
      expect(keyRate(DEFAULT_TIERS, 'pro', { requests: 7, windowSeconds: 3 }).windowMs).toBe(3000);
    });

    it("should give the tier's rate without an own one", () => {
      expect(keyRate(DEFAULT_TIERS, 'free', null)).toEqual({ rps: 2, burst: 5, windowMs: 2500 });
      expect(keyRate(DEFAULT_TIERS, 'pro')).toEqual({ rps: 10, burst: 20, windowMs: 2000 });
    });
  });
});
