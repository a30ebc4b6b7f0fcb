import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config';
import type { LinkHealth } from '../ocr-worker-client/worker-link';
import { WorkerPool } from '../ocr-worker-client/worker-pool';
import { HealthCheckDto, HealthDto } from './health.dto';

/** Checks run in parallel, each bounded by HEALTH_TIMEOUT_MS, so /health answers within it. */
@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly workers: WorkerPool,
    private readonly config: AppConfig,
  ) {}

  async check(): Promise<HealthDto> {
    const [database, worker] = await Promise.all([this.checkDatabase(), this.checkWorker()]);
    const status = database.status === 'up' && worker.status === 'up' ? 'ok' : 'error';
    return { status, checks: { database, worker } };
  }

  private async checkDatabase(): Promise<HealthCheckDto> {
    const limit = this.config.worker.healthTimeoutMs;
    try {
      if (!this.dataSource.isInitialized) {
        return { status: 'down', message: 'The database connection is not established.' };
      }
      await withTimeout(this.dataSource.query('SELECT 1'), limit);
      return { status: 'up' };
    } catch (error) {
      return {
        status: 'down',
        message:
          error instanceof TimeoutError
            ? `The database did not answer within ${limit} ms.`
            : 'The database is unreachable.',
      };
    }
  }

  /**
   * Up while at least one worker is in service: each in-service link is asked afresh, the answers
   * summed (lanes, queue, in flight); `workers` says how many of the configured ones serve. On
   * NATS one link asks the whole queue group: its answer counts the workers that answered, and
   * "configured" is the workers it has seen in the last minutes (none is configured by name).
   */
  private async checkWorker(): Promise<HealthCheckDto> {
    const limit = this.config.worker.healthTimeoutMs;
    const serving = this.workers.inService;
    const configured = (): number => this.workers.known;
    if (serving.length === 0) {
      return {
        status: 'down',
        message: `No OCR worker is in service (${configured()} configured): they leave health probes unanswered or refuse connections.`,
        workers: { inService: 0, configured: configured() },
      };
    }
    const answers = await Promise.allSettled(serving.map((link) => link.ask()));
    const healthy = answers
      .filter((answer): answer is PromiseFulfilledResult<LinkHealth> => answer.status === 'fulfilled')
      .map((answer) => answer.value);
    if (healthy.length === 0) {
      const timedOut = answers.some(
        (answer) => answer.status === 'rejected' && (answer.reason as Error)?.name === 'TimeoutError',
      );
      return {
        status: 'down',
        message: timedOut
          ? `The OCR worker did not answer within ${limit} ms.`
          : 'The OCR worker is unreachable.',
        workers: { inService: 0, configured: configured() },
      };
    }
    const sum = (pick: (health: LinkHealth) => number): number =>
      healthy.reduce((total, h) => total + pick(h), 0);
    return {
      status: 'up',
      device: healthy[0].device,
      model: healthy[0].model,
      lanes: sum((h) => h.lanes),
      queueDepth: sum((h) => h.queueDepth),
      inFlight: sum((h) => h.inFlight),
      maxQueue: sum((h) => h.maxQueue),
      workers: { inService: sum((h) => h.workers ?? 1), configured: configured() },
    };
  }
}

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}
