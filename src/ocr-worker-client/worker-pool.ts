import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { WorkerHealth } from '@app/contracts';
import { AppConfig } from '../config';
import { unavailableError } from './worker-errors';
import { WorkerLink, type WorkerChannel } from './worker-link';

/** DI token of the function that opens a WorkerChannel to a worker (see ocr-worker-client.module.ts). */
export const WORKER_CHANNEL_FACTORY = 'WORKER_CHANNEL_FACTORY';
export type WorkerChannelFactory = (worker: { host: string; port: number }) => WorkerChannel;

/**
 * The workers of WORKER_URLS, one WorkerLink each. A call goes to the worker in service with the
 * least work from this gateway for its size (calls in flight over lanes + queue, as its last
 * health answer gives them); a frozen or dead worker is out of service within
 * WORKER_PROBE_INTERVAL_MS + HEALTH_TIMEOUT_MS and gets nothing until it answers again.
 */
@Injectable()
export class WorkerPool implements OnModuleInit, OnModuleDestroy {
  readonly links: readonly WorkerLink[];

  constructor(@Inject(WORKER_CHANNEL_FACTORY) open: WorkerChannelFactory, config: AppConfig) {
    const { connections, healthTimeoutMs, probeIntervalMs } = config.worker;
    this.links = config.worker.endpoints.map(
      (endpoint) =>
        new WorkerLink(() => open(endpoint), {
          endpoint: `${endpoint.host}:${endpoint.port}`,
          connections,
          healthTimeoutMs,
          probeIntervalMs,
        }),
    );
  }

  onModuleInit(): void {
    this.links.forEach((link) => link.start());
  }

  onModuleDestroy(): void {
    this.links.forEach((link) => link.stop());
  }

  get inService(): readonly WorkerLink[] {
    return this.links.filter((link) => link.inService);
  }

  /**
   * The worker for the next call; `avoid`: one that just failed the call, taken only if it is the
   * only one left.
   * @throws ApiError 503 worker_unavailable when no worker is in service
   */
  pick(avoid?: WorkerLink): WorkerLink {
    const candidates = this.inService;
    const others = candidates.filter((link) => link !== avoid);
    const pool = others.length > 0 ? others : candidates;
    if (pool.length === 0) {
      throw unavailableError();
    }
    return pool.reduce((best, next) => (load(next) < load(best) ? next : best));
  }

  /** Jobs the workers in service can take (lanes + queue), summed; undefined before any has answered. */
  get capacity(): number | undefined {
    const known = this.inService
      .map((link) => link.lastHealth)
      .filter((h): h is WorkerHealth => h !== undefined);
    return known.length === 0 ? undefined : known.reduce((sum, h) => sum + h.lanes + h.maxQueue, 0);
  }

  /** The model of the workers in service, for the results cache key (they run one model). */
  get model(): string | undefined {
    return this.inService.map((link) => link.lastHealth?.model).find((model) => model !== undefined);
  }
}

function load(link: WorkerLink): number {
  const health = link.lastHealth;
  return link.calls / (health ? Math.max(1, health.lanes + health.maxQueue) : 1);
}
