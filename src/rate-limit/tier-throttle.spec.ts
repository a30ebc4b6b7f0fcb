import { throttleFor } from './tier-throttle';

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
});
