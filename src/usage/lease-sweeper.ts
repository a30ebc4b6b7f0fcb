import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config';
import { DailyUsageRepository } from './daily-usage.repository';

/** Leases given back per statement, so one sweep never holds many rows locked at once. */
const SWEEP_BATCH = 500;

/**
 * Gives back the units of expired leases: those of requests whose gateway process died (or lost
 * its database) before settling them. Every gateway sweeps every USAGE_LEASE_SWEEP_MS; each lease
 * is deleted and taken off its day's count in one statement, so it is given back exactly once
 * however many processes sweep at the same moment.
 */
@Injectable()
export class LeaseSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LeaseSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly usage: DailyUsageRepository,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.usage.sweepMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep at a time per process: a slow database must not pile them up. */
  sweep(): Promise<void> {
    this.running ??= this.releaseAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async releaseAll(): Promise<void> {
    try {
      let leases = 0;
      let units = 0;
      for (let batch = SWEEP_BATCH; batch === SWEEP_BATCH;) {
        const released = await this.usage.releaseExpired({ batch: SWEEP_BATCH });
        // One row per lineage and day: count the leases by what their deletion returned.
        batch = released.reduce((sum, day) => sum + day.leases, 0);
        leases += batch;
        units += released.reduce((sum, day) => sum + day.units, 0);
      }
      if (leases > 0) {
        this.logger.log(`Gave back ${units} unit(s) of ${leases} expired usage lease(s) nobody settled.`);
      }
    } catch (error) {
      this.logger.warn(
        `Usage lease sweep failed (${error instanceof Error ? error.constructor.name : typeof error}); retrying in ${this.config.usage.sweepMs} ms.`,
      );
    }
  }
}
