import { Logger } from '@nestjs/common';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { loadConfig } from '../config';
import type { DailyUsageRepository } from './daily-usage.repository';
import { MemoryUsageRepository } from './testing/memory-usage.repository';
import { toSnapshot } from './usage-snapshot';
import { UsageService } from './usage.service';

describe(UsageService.name, () => {
  const key: AuthenticatedKey = {
    id: 'k1',
    lineageId: 'lin1',
    name: 'app',
    tier: 'free',
    scopes: ['ocr'],
    dailyLimit: 3,
  };
  let usage: MemoryUsageRepository;
  let service: UsageService;

  beforeEach(() => {
    jest.useFakeTimers({
      now: new Date('2026-11-27T12:00:00.000Z'),
      doNotFake: ['nextTick', 'setImmediate'],
    });
    usage = new MemoryUsageRepository();
    service = new UsageService(
      usage as unknown as DailyUsageRepository,
      loadConfig({ OCR_TIMEOUT_MS: '20000', USAGE_LEASE_GRACE_MS: '5000' }, '/'),
    );
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('should open ledgers whose leases last OCR_TIMEOUT_MS + USAGE_LEASE_GRACE_MS', async () => {
    await service.open(key).reserve();
    expect([...usage.leases.values()][0].expiresAt).toBe(Date.now() + 25_000);
  });

  describe('settle', () => {
    it('should charge a delivered request and release an abandoned one, in the background', async () => {
      const delivered = service.open(key);
      const abandoned = service.open(key);
      await delivered.reserve();
      await abandoned.reserve();
      service.settle(delivered, true);
      service.settle(abandoned, false);
      await service.onApplicationShutdown();
      expect(usage.leases.size).toBe(0);
      expect(usage.count('lin1')).toBe(1);
    });

    it('should log a failed settlement instead of throwing, leaving the lease to expire', async () => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      jest.spyOn(usage, 'settle').mockRejectedValue(new Error('connection terminated'));
      const ledger = service.open(key);
      await ledger.reserve();
      service.settle(ledger, true);
      await service.onApplicationShutdown();
      expect(error).toHaveBeenCalledWith(
        expect.stringMatching(/settlement failed \(Error\).*expire, uncharged/),
      );
      expect(usage.leases.size).toBe(1);
    });

    it('should wait for settlements in flight before the application shuts down', async () => {
      let finish: () => void = () => undefined;
      jest
        .spyOn(usage, 'settle')
        .mockImplementation(() => new Promise((resolve) => (finish = () => resolve(['1']))));
      const ledger = service.open(key);
      await ledger.reserve();
      service.settle(ledger, true);
      let closed = false;
      const shutdown = service.onApplicationShutdown().then(() => (closed = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false);
      finish();
      await shutdown;
      expect(closed).toBe(true);
    });
  });

  it('should report today with the remaining units and the reset instant', async () => {
    await service.open(key).reserve(2);
    await expect(service.current(key)).resolves.toEqual({
      day: '2026-11-27',
      used: 2,
      limit: 3,
      remaining: 1,
      resetsAt: new Date('2026-11-28T00:00:00.000Z'),
    });
  });

  describe('report', () => {
    it("should answer today's state, the key and its tier's rate policy", async () => {
      await service.open(key).reserve();
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

    it("should answer today's usage as the request read it already, without reading it again", async () => {
      const read = jest.spyOn(usage, 'usedOn');
      const readAlready = toSnapshot('2026-11-27', 2, 3);
      await expect(service.report(key, undefined, readAlready)).resolves.toMatchObject({
        period: '2026-11-27',
        used: 2,
        remaining: 1,
      });
      expect(read).not.toHaveBeenCalled();
    });

    it('should add the history when days are asked for, today last', async () => {
      usage.used.set('lin1/2026-11-25', 4);
      await service.open(key).reserve(2);
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
