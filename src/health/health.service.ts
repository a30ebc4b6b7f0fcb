import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config';
import { WorkerLink } from '../ocr-worker-client/worker-link';
import { HealthCheckDto, HealthDto } from './health.dto';

/** Checks run in parallel, each bounded by HEALTH_TIMEOUT_MS, so /health answers within it. */
@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly worker: WorkerLink,
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

  private async checkWorker(): Promise<HealthCheckDto> {
    const limit = this.config.worker.healthTimeoutMs;
    if (!this.worker.inService) {
      return { status: 'down', message: 'The OCR worker is out of service: it left health probes unanswered.' };
    }
    try {
      const health = await this.worker.ask();
      return {
        status: 'up',
        device: health.device,
        model: health.model,
        lanes: health.lanes,
        queueDepth: health.queueDepth,
        inFlight: health.inFlight,
        maxQueue: health.maxQueue,
      };
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return {
        status: 'down',
        message: timedOut
          ? `The OCR worker did not answer within ${limit} ms.`
          : 'The OCR worker is unreachable.',
      };
    }
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
