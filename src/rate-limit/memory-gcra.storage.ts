import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { gcra, ThrottlerStorageRecord, toThrottlerRecord } from './gcra';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Token buckets of one process (GCRA, see gcra.ts). Used when no REDIS_URL is configured, and as
 * the fallback while Redis is unreachable. `ttl` is throttler's window in milliseconds: the time a
 * spent bucket of `limit` tokens takes to refill completely.
 */
export class MemoryGcraStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly buckets = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly clock: () => number = Date.now) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const bucket = `${throttlerName}:${key}`;
    const decision = gcra(this.buckets.get(bucket), this.clock(), limit, ttl);
    this.buckets.set(bucket, decision.tat);
    this.startSweeping();
    return Promise.resolve(toThrottlerRecord(decision, limit));
  }

  /** Buckets currently held: a full bucket is forgotten by the next sweep. */
  get size(): number {
    return this.buckets.size;
  }

  /** Forgets buckets that have refilled completely: their TAT is in the past. */
  sweep(): void {
    const now = this.clock();
    for (const [bucket, tat] of this.buckets) {
      if (tat <= now) {
        this.buckets.delete(bucket);
      }
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.buckets.clear();
  }

  private startSweeping(): void {
    if (this.sweeper) {
      return;
    }
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }
}
