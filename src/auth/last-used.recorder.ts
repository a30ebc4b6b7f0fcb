import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ApiKeyRepository } from '../api-keys/api-key.repository';

/**
 * `last_used_at` without a write per request: uses are collected in memory and written in one
 * statement every `flushEveryMs`, and once more on shutdown (module destroy runs before the
 * database connection closes).
 */
export class LastUsedRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LastUsedRecorder.name);
  private pending = new Map<string, Date>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly flushEveryMs: number,
  ) {}

  record(keyId: string, at = new Date()): void {
    this.pending.set(keyId, at);
  }

  onModuleInit(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Flushes run one at a time, so a slow database never sees two overlapping updates. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) {
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.keys.touchLastUsed(batch);
    } catch (error) {
      // Keep the uses for the next flush unless newer ones arrived meanwhile.
      for (const [id, at] of batch) {
        if (!this.pending.has(id)) {
          this.pending.set(id, at);
        }
      }
      this.logger.warn(
        `Could not record the last use of ${batch.size} key(s) (${errorCode(error)}); retrying later`,
      );
    }
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'database error';
}
