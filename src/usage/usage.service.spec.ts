import type { Response } from 'express';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { ApiError } from '../common/errors/api-error';
import { loadConfig } from '../config';
import { RequestLimits } from '../rate-limit/request-limits';
import { DailyUsageRepository, ReserveOutcome } from './daily-usage.repository';
import { UsageService } from './usage.service';

/** The repository's contract over a map: the atomicity itself is proven against Postgres in test/. */
class MapUsage {
  readonly used = new Map<string, number>();
  day = '2026-11-27';

  reserve(lineageId: string, units: number, limit: number): Promise<ReserveOutcome> {
    const used = this.used.get(`${lineageId}/${this.day}`) ?? 0;
    if (used + units > limit) {
      return Promise.resolve({ admitted: false, day: this.day, used });
    }
    this.used.set(`${lineageId}/${this.day}`, used + units);
    return Promise.resolve({ admitted: true, day: this.day, used: used + units });
  }

  refund(lineageId: string, day: string, units: number): Promise<number> {
    const used = Math.max(0, (this.used.get(`${lineageId}/${day}`) ?? 0) - units);
    this.used.set(`${lineageId}/${day}`, used);
    return Promise.resolve(used);
  }

  usedOn(lineageId: string): Promise<{ date: string; used: number }> {
    return Promise.resolve({ date: this.day, used: this.used.get(`${lineageId}/${this.day}`) ?? 0 });
  }

  history(lineageId: string, days: number): Promise<Array<{ date: string; used: number }>> {
    const today = Date.parse(`${this.day}T00:00:00Z`);
    return Promise.resolve(
      Array.from({ length: days }, (_, i) => {
        const date = new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
        return { date, used: this.used.get(`${lineageId}/${date}`) ?? 0 };
      }),
    );
  }
}

function fakeResponse(): Response & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return {
    headers,
    locals: {},
    headersSent: false,
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
  } as unknown as Response & { headers: Record<string, string> };
}

describe(UsageService.name, () => {
  const key: AuthenticatedKey = {
    id: 'k1',
    lineageId: 'lin1',
    name: 'app',
    tier: 'free',
    scopes: ['ocr'],
    dailyLimit: 3,
  };
  let usage: MapUsage;
  let service: UsageService;

  beforeEach(() => {
    jest.useFakeTimers({
      now: new Date('2026-11-27T12:00:00.000Z'),
      doNotFake: ['nextTick', 'setImmediate'],
    });
    usage = new MapUsage();
    service = new UsageService(usage as unknown as DailyUsageRepository, loadConfig({}, '/'));
  });

  afterEach(() => jest.useRealTimers());

  it('should count units against the lineage, not the key id', async () => {
    await service.reserve(key, 2);
    expect(usage.used.get('lin1/2026-11-27')).toBe(2);
  });

  it('should refuse with 429 quota_exceeded and Retry-After until UTC midnight', async () => {
    await service.reserve(key, 3);
    const refusal = await service.reserve(key).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiError);
    const error = refusal as ApiError;
    expect(error.getStatus()).toBe(429);
    expect(error.code).toBe('quota_exceeded');
    expect(error.headers['Retry-After']).toBe('43200');
    expect(error.message).not.toMatch(/lin1|k1/);
  });

  it('should answer Retry-After 1 in the last half second before midnight', async () => {
    jest.setSystemTime(new Date('2026-11-27T23:59:59.500Z'));
    await service.reserve(key, 3);
    const refusal = (await service.reserve(key).catch((e: unknown) => e)) as ApiError;
    expect(refusal.headers['Retry-After']).toBe('1');
  });

  it('should refuse a batch that does not fit whole and count none of it', async () => {
    await service.reserve(key, 2);
    await expect(service.reserve(key, 2)).rejects.toMatchObject({ code: 'quota_exceeded' });
    expect(usage.used.get('lin1/2026-11-27')).toBe(2);
  });

  it('should refund to the day of the reservation, never more than it took', async () => {
    const reservation = await service.reserve(key, 2);
    usage.day = '2026-11-28';
    await reservation.refund(1);
    await reservation.refund(5);
    await reservation.refund();
    expect(usage.used.get('lin1/2026-11-27')).toBe(0);
    expect(usage.used.get('lin1/2026-11-28')).toBeUndefined();
    expect(reservation.outstanding).toBe(0);
  });

  it('should not return the same units twice when refunds race', async () => {
    await service.reserve(key, 1);
    const reservation = await service.reserve(key, 2);
    await Promise.all([reservation.refund(), reservation.refund(), reservation.refund(1)]);
    expect(usage.used.get('lin1/2026-11-27')).toBe(1);
  });

  it('should refuse a reservation of no units or a fraction', async () => {
    await expect(service.reserve(key, 0)).rejects.toThrow(RangeError);
    await expect(service.reserve(key, 1.5)).rejects.toThrow(RangeError);
  });

  it('should write the quota state of each change to the current request headers', async () => {
    const response = fakeResponse();
    await RequestLimits.run(RequestLimits.of(response), async () => {
      const reservation = await service.reserve(key, 2);
      expect(response.headers.RateLimit).toBe('"daily";r=1;t=43200');
      await reservation.refund(1);
      expect(response.headers.RateLimit).toBe('"daily";r=2;t=43200');
      await service.reserve(key, 3).catch(() => undefined);
    });
    expect(response.headers['RateLimit-Policy']).toBe('"daily";q=3;w=86400');
    expect(response.headers['X-RateLimit-Remaining']).toBe('2');
  });

  it('should give a quota refusal the same Retry-After as the daily policy window in its headers', async () => {
    const response = fakeResponse();
    const refusal = await RequestLimits.run(RequestLimits.of(response), async () => {
      await service.reserve(key, 3);
      return (await service.reserve(key).catch((e: unknown) => e)) as ApiError;
    });
    expect(response.headers.RateLimit).toBe(`"daily";r=0;t=${refusal.headers['Retry-After']}`);
  });

  it('should report today with the remaining units and the reset instant', async () => {
    await service.reserve(key, 2);
    await expect(service.current(key)).resolves.toEqual({
      day: '2026-11-27',
      used: 2,
      limit: 3,
      remaining: 1,
      resetsAt: new Date('2026-11-28T00:00:00.000Z'),
    });
  });

  it('should show 0 remaining, not a negative count, after the limit was lowered', async () => {
    await service.reserve(key, 3);
    await expect(service.current({ ...key, dailyLimit: 1 })).resolves.toMatchObject({
      used: 3,
      remaining: 0,
    });
  });

  describe('report', () => {
    it("should answer today's state, the key and its tier's rate policy", async () => {
      await service.reserve(key, 1);
      await expect(service.report(key)).resolves.toEqual({
        key: { id: 'k1', name: 'app', tier: 'free' },
        period: '2026-11-27',
        used: 1,
        limit: 3,
        remaining: 2,
        resetsAt: '2026-11-28T00:00:00.000Z',
        rateLimit: { rps: 2, burst: 5 },
      });
    });

    it('should add the history when days are asked for, today last', async () => {
      usage.used.set('lin1/2026-11-25', 4);
      await service.reserve(key, 2);
      const report = await service.report(key, 3);
      expect(report.history).toEqual([
        { date: '2026-11-25', used: 4 },
        { date: '2026-11-26', used: 0 },
        { date: '2026-11-27', used: 2 },
      ]);
      expect(report).toMatchObject({ period: '2026-11-27', used: 2, remaining: 1 });
    });
  });
});
