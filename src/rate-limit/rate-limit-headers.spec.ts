import { rateLimitHeaders, tightest } from './rate-limit-headers';

const rate = { name: 'rate', quota: 5, windowSeconds: 3, remaining: 4, resetSeconds: 1 };
const daily = { name: 'daily', quota: 100, windowSeconds: 86_400, remaining: 37, resetSeconds: 51_234 };

describe(rateLimitHeaders.name, () => {
  it('should write both policies as draft-11 structured-field lists', () => {
    const headers = rateLimitHeaders([rate, daily]);
    expect(headers['RateLimit-Policy']).toBe('"rate";q=5;w=3, "daily";q=100;w=86400');
    expect(headers.RateLimit).toBe('"rate";r=4;t=1, "daily";r=37;t=51234');
  });

  it('should give the X-RateLimit trio of the policy with the fewest units left', () => {
    expect(rateLimitHeaders([rate, daily])).toMatchObject({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '4',
      'X-RateLimit-Reset': '1',
    });
    const nearlySpent = { ...daily, remaining: 2 };
    expect(rateLimitHeaders([rate, nearlySpent])).toMatchObject({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': '51234',
    });
  });

  it('should prefer the longer wait when both policies are spent', () => {
    const headers = rateLimitHeaders([
      { ...rate, remaining: 0 },
      { ...daily, remaining: 0 },
    ]);
    expect(headers['X-RateLimit-Limit']).toBe('100');
    expect(headers['X-RateLimit-Reset']).toBe('51234');
  });

  it('should clamp negative counts to 0 and round fractional seconds up', () => {
    const headers = rateLimitHeaders([{ ...rate, remaining: -3, resetSeconds: 0.2, windowSeconds: 2.5 }]);
    expect(headers['RateLimit-Policy']).toBe('"rate";q=5;w=3');
    expect(headers.RateLimit).toBe('"rate";r=0;t=1');
  });

  it('should never announce a zero-length window', () => {
    expect(rateLimitHeaders([{ ...rate, windowSeconds: 0 }])['RateLimit-Policy']).toBe('"rate";q=5;w=1');
  });

  it('should write nothing without a policy', () => {
    expect(rateLimitHeaders([])).toEqual({});
  });

  it('should refuse a policy name that would break the field syntax', () => {
    expect(() => rateLimitHeaders([{ ...rate, name: 'a"b' }])).toThrow(RangeError);
    expect(() => rateLimitHeaders([{ ...rate, name: 'a, b' }])).toThrow(RangeError);
  });

  describe(tightest.name, () => {
    it('should keep the first of two identical states', () => {
      expect(tightest([rate, { ...rate, name: 'other' }]).name).toBe('rate');
    });
  });
});
