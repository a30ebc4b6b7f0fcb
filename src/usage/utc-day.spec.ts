import { periodEnd, secondsUntil } from './utc-day';

describe('utc-day', () => {
  describe(periodEnd.name, () => {
    it('should end a period at the next UTC midnight', () => {
      expect(periodEnd('2026-11-27').toISOString()).toBe('2026-11-28T00:00:00.000Z');
    });

    it('should roll over months, years and leap days', () => {
      expect(periodEnd('2026-12-31').toISOString()).toBe('2027-01-01T00:00:00.000Z');
      expect(periodEnd('2028-02-28').toISOString()).toBe('2028-02-29T00:00:00.000Z');
      expect(periodEnd('2028-02-29').toISOString()).toBe('2028-03-01T00:00:00.000Z');
    });

    it('should refuse anything but a YYYY-MM-DD day', () => {
      expect(() => periodEnd('2026-11-27T00:00:00Z')).toThrow(RangeError);
      expect(() => periodEnd('')).toThrow(RangeError);
    });
  });

  describe(secondsUntil.name, () => {
    const reset = periodEnd('2026-11-27');

    it('should count whole seconds until the reset, rounding up', () => {
      expect(secondsUntil(reset, new Date('2026-11-27T00:00:00.000Z'))).toBe(86_400);
      expect(secondsUntil(reset, new Date('2026-11-27T23:59:58.001Z'))).toBe(2);
      expect(secondsUntil(reset, new Date('2026-11-27T12:00:00.000Z'))).toBe(43_200);
    });

    it('should answer at least 1 in the last moment before midnight', () => {
      expect(secondsUntil(reset, new Date('2026-11-27T23:59:59.999Z'))).toBe(1);
    });

    it('should answer 1, not 0 or less, when this clock is already past the reset', () => {
      expect(secondsUntil(reset, new Date('2026-11-28T00:00:00.000Z'))).toBe(1);
      expect(secondsUntil(reset, new Date('2026-11-28T00:00:03.500Z'))).toBe(1);
    });
  });
});
