import type { Response } from 'express';
import { toSnapshot } from '../usage/usage-snapshot';
import { RequestLimits } from './request-limits';

function fakeResponse(): Response & { headers: Record<string, string>; headersSent: boolean } {
  const headers: Record<string, string> = {};
  return {
    headers,
    locals: {},
    headersSent: false,
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
  } as unknown as Response & { headers: Record<string, string>; headersSent: boolean };
}

describe(RequestLimits.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-27T12:00:00.000Z') }));
  afterEach(() => jest.useRealTimers());

  it('should be one instance per response', () => {
    const response = fakeResponse();
    expect(RequestLimits.of(response)).toBe(RequestLimits.of(response));
    expect(RequestLimits.of(fakeResponse())).not.toBe(RequestLimits.of(response));
  });

  it('should write both policies, the daily one from the latest snapshot', () => {
    const response = fakeResponse();
    const limits = RequestLimits.of(response);
    limits.setRate({ quota: 5, windowSeconds: 2.5, remaining: 4, resetSeconds: 1 });
    limits.setDaily(toSnapshot('2026-11-27', 98, 100));
    expect(response.headers).toEqual({
      'RateLimit-Policy': '"rate";q=5;w=3, "daily";q=100;w=86400',
      RateLimit: '"rate";r=4;t=1, "daily";r=2;t=43200',
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': '43200',
    });
    limits.setDaily(toSnapshot('2026-11-27', 99, 100));
    expect(response.headers.RateLimit).toBe('"rate";r=4;t=1, "daily";r=1;t=43200');
  });

  it('should write both parts at once, once, and keep a known quota when the new one is unknown', () => {
    const response = fakeResponse();
    const setHeader = jest.spyOn(response, 'setHeader');
    const limits = RequestLimits.of(response);
    limits.setRateAndDaily(
      { quota: 5, windowSeconds: 2.5, remaining: 4, resetSeconds: 1 },
      toSnapshot('2026-11-27', 98, 100),
    );
    expect(setHeader).toHaveBeenCalledTimes(5);
    expect(response.headers).toEqual({
      'RateLimit-Policy': '"rate";q=5;w=3, "daily";q=100;w=86400',
      RateLimit: '"rate";r=4;t=1, "daily";r=2;t=43200',
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': '43200',
    });
    limits.setRateAndDaily({ quota: 5, windowSeconds: 2.5, remaining: 3, resetSeconds: 1 }, undefined);
    expect(response.headers.RateLimit).toBe('"rate";r=3;t=1, "daily";r=2;t=43200');
  });

  it('should write the rate alone while the quota is unknown', () => {
    const response = fakeResponse();
    RequestLimits.of(response).setRate({ quota: 5, windowSeconds: 3, remaining: 0, resetSeconds: 2 });
    expect(response.headers['RateLimit-Policy']).toBe('"rate";q=5;w=3');
  });

  it('should leave an answer alone whose headers are on the wire', () => {
    const response = fakeResponse();
    response.headersSent = true;
    RequestLimits.of(response).setDaily(toSnapshot('2026-11-27', 1, 100));
    expect(response.headers).toEqual({});
  });
});
