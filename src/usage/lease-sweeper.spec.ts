import { Logger } from '@nestjs/common';
import { loadConfig } from '../config';
import type { DailyUsageRepository } from './daily-usage.repository';
import { LeaseSweeper } from './lease-sweeper';
import { MemoryUsageRepository } from './testing/memory-usage.repository';

describe(LeaseSweeper.name, () => {
  let usage: MemoryUsageRepository;
  let sweeper: LeaseSweeper;

  beforeEach(() => {
    jest.useFakeTimers({
      now: new Date('2026-11-27T12:00:00.000Z'),
      doNotFake: ['nextTick', 'setImmediate'],
    });
    usage = new MemoryUsageRepository();
    sweeper = new LeaseSweeper(
      usage as unknown as DailyUsageRepository,
      loadConfig({ USAGE_LEASE_SWEEP_MS: '1000' }, '/'),
    );
  });

  afterEach(async () => {
    await sweeper.onModuleDestroy();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('should give back expired leases of every lineage and leave live ones', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await usage.reserve('a', 2, 10, 1000);
    await usage.reserve('b', 1, 10, 1000);
    await usage.reserve('b', 1, 10, 60_000);
    jest.setSystemTime(Date.now() + 1001);
    await sweeper.sweep();
    expect([usage.count('a'), usage.count('b')]).toEqual([0, 1]);
    expect(usage.leases.size).toBe(1);
    expect(log).toHaveBeenCalledWith('Gave back 3 unit(s) of 2 expired usage lease(s) nobody settled.');
  });

  it('should sweep in batches until none is left', async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    for (let i = 0; i < 1100; i++) {
      await usage.reserve(`l${i}`, 1, 1, 10);
    }
    jest.setSystemTime(Date.now() + 11);
    const release = jest.spyOn(usage, 'releaseExpired');
    await sweeper.sweep();
    expect(usage.leases.size).toBe(0);
    expect(release).toHaveBeenCalledTimes(3);
  });

  it('should sweep once at start and then every USAGE_LEASE_SWEEP_MS, one sweep at a time', async () => {
    const release = jest.spyOn(usage, 'releaseExpired');
    sweeper.onApplicationBootstrap();
    expect(release).toHaveBeenCalledTimes(1);
    await Promise.all([sweeper.sweep(), sweeper.sweep()]);
    expect(release).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(release).toHaveBeenCalledTimes(2);
  });

  it('should log a failed sweep and try again at the next tick', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(usage, 'releaseExpired').mockRejectedValueOnce(new Error('database is down'));
    await expect(sweeper.sweep()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('Usage lease sweep failed (Error); retrying in 1000 ms.');
  });
});
