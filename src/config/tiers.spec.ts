import { DEFAULT_TIERS, tierLimits } from './tiers';

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
});
