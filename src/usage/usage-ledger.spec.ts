import { Logger } from '@nestjs/common';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { ApiError } from '../common/errors/api-error';
import type { DailyUsageRepository } from './daily-usage.repository';
import { MemoryUsageRepository } from './testing/memory-usage.repository';
import { UsageLedger } from './usage-ledger';

describe(UsageLedger.name, () => {
  const key: AuthenticatedKey = {
    id: 'k1',
    lineageId: 'lin1',
    name: 'app',
    tier: 'free',
    scopes: ['ocr'],
    dailyLimit: 3,
  };
  const LEASE_MS = 90_000;
  let usage: MemoryUsageRepository;

  const ledger = (of: AuthenticatedKey = key): UsageLedger =>
    new UsageLedger(of, usage as unknown as DailyUsageRepository, LEASE_MS);

  beforeEach(() => {
    jest.useFakeTimers({
      now: new Date('2026-11-27T12:00:00.000Z'),
      doNotFake: ['nextTick', 'setImmediate'],
    });
    usage = new MemoryUsageRepository();
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('reserve', () => {
    it('should count units against the lineage, not the key id, under a lease of OCR_TIMEOUT_MS + grace', async () => {
      await ledger().reserve(2);
      expect(usage.count('lin1')).toBe(2);
      expect([...usage.leases.values()]).toEqual([
        { lineageId: 'lin1', day: '2026-11-27', units: 2, expiresAt: Date.now() + LEASE_MS },
      ]);
    });

    it('should refuse with 429 quota_exceeded and Retry-After until UTC midnight, counting nothing', async () => {
      const requests = ledger();
      await requests.reserve(3);
      const refusal = await requests.reserve().catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(ApiError);
      const error = refusal as ApiError;
      expect(error.getStatus()).toBe(429);
      expect(error.code).toBe('quota_exceeded');
      expect(error.headers['Retry-After']).toBe('43200');
      expect(error.message).not.toMatch(/lin1|k1/);
      expect(usage.count('lin1')).toBe(3);
      expect(usage.leases.size).toBe(1);
    });

    it('should answer Retry-After 1 in the last half second before midnight', async () => {
      jest.setSystemTime(new Date('2026-11-27T23:59:59.500Z'));
      await ledger().reserve(3);
      const refusal = (await ledger()
        .reserve()
        .catch((e: unknown) => e)) as ApiError;
      expect(refusal.headers['Retry-After']).toBe('1');
    });

    it('should refuse several units that do not fit whole, and say how many remain', async () => {
      await ledger().reserve(2);
      await expect(ledger().reserve(2)).rejects.toMatchObject({
        code: 'quota_exceeded',
        message: expect.stringContaining('needs 2 images of the daily quota but only 1 of 3 remain'),
      });
      expect(usage.count('lin1')).toBe(2);
    });

    it('should refuse a reservation of no units or a fraction', async () => {
      await expect(ledger().reserve(0)).rejects.toThrow(RangeError);
      await expect(ledger().reserve(1.5)).rejects.toThrow(RangeError);
    });

    it('should give back expired leases of the lineage when they are all that stands in the way', async () => {
      await ledger().reserve(3); // a gateway that died before settling
      jest.advanceTimersByTime(LEASE_MS + 1);
      await expect(ledger().reserve()).resolves.toMatchObject({ units: 1 });
      expect(usage.count('lin1')).toBe(1);
      expect(usage.leases.size).toBe(1);
    });

    it('should not touch live leases when the quota is really spent', async () => {
      await ledger().reserve(3);
      jest.advanceTimersByTime(LEASE_MS - 1);
      await expect(ledger().reserve()).rejects.toMatchObject({ code: 'quota_exceeded' });
      expect(usage.count('lin1')).toBe(3);
    });
  });

  describe('refund', () => {
    it('should give back to the day of the reservation, never more than it took', async () => {
      const reservation = await ledger({ ...key, dailyLimit: 10 }).reserve(2);
      usage.day = '2026-11-28';
      await reservation.refund(1);
      await reservation.refund(5);
      await reservation.refund();
      expect(usage.count('lin1', '2026-11-27')).toBe(0);
      expect(usage.count('lin1', '2026-11-28')).toBe(0);
      expect(reservation.outstanding).toBe(0);
    });

    it('should not return the same units twice when refunds race', async () => {
      await ledger().reserve(1);
      const reservation = await ledger().reserve(2);
      await Promise.all([reservation.refund(), reservation.refund(), reservation.refund(1)]);
      expect(usage.count('lin1')).toBe(1);
    });
  });

  describe('settlement', () => {
    it('should charge what is still held once the answer is sent: the leases go, the count stays', async () => {
      const requests = ledger({ ...key, dailyLimit: 10 });
      const kept = await requests.reserve();
      const failed = await requests.reserve(2);
      await failed.refund(1);
      await requests.charge();
      expect(usage.leases.size).toBe(0);
      expect(usage.count('lin1')).toBe(2);
      await kept.refund();
      await failed.refund();
      expect(usage.count('lin1')).toBe(2);
    });

    it('should give back at settlement the units of a refund that never reached the database', async () => {
      const requests = ledger({ ...key, dailyLimit: 10 });
      await requests.reserve();
      const failed = await requests.reserve(2);
      jest.spyOn(usage, 'refund').mockRejectedValueOnce(new Error('connection terminated'));
      await expect(failed.refund()).rejects.toThrow('connection terminated');
      expect(usage.count('lin1')).toBe(3);
      await requests.charge();
      expect(usage.count('lin1')).toBe(1);
      expect(usage.leases.size).toBe(0);
    });

    it('should give everything back when the client left before the answer', async () => {
      const requests = ledger({ ...key, dailyLimit: 10 });
      await requests.reserve();
      const partly = await requests.reserve(3);
      await partly.refund(1);
      await requests.release();
      expect(usage.leases.size).toBe(0);
      expect(usage.count('lin1')).toBe(0);
    });

    it('should settle each lease once: a reservation made after a release is released by the next one', async () => {
      const requests = ledger({ ...key, dailyLimit: 10 });
      await requests.reserve();
      await requests.release();
      await requests.reserve();
      expect(usage.count('lin1')).toBe(1);
      await requests.release();
      await requests.release();
      await requests.charge();
      expect(usage.count('lin1')).toBe(0);
      expect(usage.leases.size).toBe(0);
    });

    it('should not charge, and say so, what was delivered after its lease had been swept', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const requests = ledger();
      await requests.reserve();
      jest.advanceTimersByTime(LEASE_MS + 1);
      await usage.releaseExpired();
      await requests.charge();
      expect(usage.count('lin1')).toBe(0);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^1 unit\(s\) delivered after their lease/));
    });

    it('should give back a released lease exactly once when the sweep meets it too', async () => {
      const requests = ledger();
      await requests.reserve(2);
      jest.advanceTimersByTime(LEASE_MS + 1);
      await Promise.all([requests.release(), usage.releaseExpired()]);
      expect(usage.count('lin1')).toBe(0);
    });
  });

  describe('snapshot', () => {
    it('should tell the quota after each change of this request, none before', async () => {
      const requests = ledger();
      expect(requests.snapshot).toBeUndefined();
      const reservation = await requests.reserve(2);
      expect(requests.snapshot).toEqual({
        day: '2026-11-27',
        used: 2,
        limit: 3,
        remaining: 1,
        resetsAt: new Date('2026-11-28T00:00:00.000Z'),
      });
      await reservation.refund(1);
      expect(requests.snapshot).toMatchObject({ used: 1, remaining: 2 });
      await requests.reserve(3).catch(() => undefined);
      expect(requests.snapshot).toMatchObject({ used: 1, remaining: 2 });
      await expect(requests.settledSnapshot()).resolves.toMatchObject({ used: 1 });
    });

    it('should show 0 remaining, not a negative count, after the limit was lowered', async () => {
      await ledger({ ...key, dailyLimit: 5 }).reserve(4);
      const lowered = ledger({ ...key, dailyLimit: 1 });
      await lowered.reserve().catch(() => undefined);
      expect(lowered.snapshot).toMatchObject({ used: 4, remaining: 0 });
    });

    it('should read the quota once more after changes that overlapped, whose answers may be out of order', async () => {
      const requests = ledger({ ...key, dailyLimit: 10 });
      const read = jest.spyOn(usage, 'usedOn');
      await requests.reserve();
      await expect(requests.settledSnapshot()).resolves.toMatchObject({ used: 1 });
      expect(read).not.toHaveBeenCalled();
      const [first] = await Promise.all([requests.reserve(), requests.reserve()]);
      await first.refund();
      usage.used.set('lin1/2026-11-27', 7); // what other requests did meanwhile
      await expect(requests.settledSnapshot()).resolves.toMatchObject({ used: 7, remaining: 3 });
      expect(read).toHaveBeenCalledTimes(1);
    });

    it('should keep today when a refund went back to yesterday', async () => {
      const requests = ledger({ ...key, dailyLimit: 10 });
      const yesterday = await requests.reserve(2);
      usage.day = '2026-11-28';
      await requests.reserve();
      await yesterday.refund();
      expect(requests.snapshot).toMatchObject({ day: '2026-11-28', used: 1 });
    });
  });
});
