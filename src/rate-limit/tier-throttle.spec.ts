import { DEFAULT_TIERS } from '../config/tiers';
import { throttleFor, tierLimits } from './tier-throttle';

describe('tier-throttle', () => {
  describe(throttleFor.name, () => {
    it('should map a tier to burst tokens refilled in burst / rps seconds', () => {
      expect(throttleFor({ rps: 2, burst: 5 })).toEqual({ limit: 5, ttl: 2500 });
      expect(throttleFor({ rps: 10, burst: 20 })).toEqual({ limit: 20, ttl: 2000 });
      expect(throttleFor({ rps: 50, burst: 100 })).toEqual({ limit: 100, ttl: 2000 });
    });

    it('should keep a fractional rate exact', () => {
      expect(throttleFor({ rps: 0.5, burst: 1 })).toEqual({ limit: 1, ttl: 2000 });
      expect(throttleFor({ rps: 3, burst: 1 }).ttl).toBeCloseTo(333.333, 3);
    });
  });

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
