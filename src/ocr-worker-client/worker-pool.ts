import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { WorkerHealth } from '@app/contracts';
import { AppConfig } from '../config';
import { unavailableError } from './worker-errors';
import { WorkerLink, type WorkerChannel } from './worker-link';

/**
 * DI token of what the links reach, one WorkerLink each, as the transport decides
 * (ocr-worker-client.module.ts): each worker of WORKER_URLS on TCP, the queue group on NATS.
 */
export const WORKER_TARGETS = 'WORKER_TARGETS';
export interface WorkerTarget {
  /** For logs and /health: `host:port`, or the NATS servers and queue group (no credentials). */
  readonly endpoint: string;
  /** A new channel to it. */
  open(): WorkerChannel;
}

/**
 * The workers, one WorkerLink per target: each worker of WORKER_URLS on TCP; on NATS one link to
 * the queue group, whose members the NATS server picks among (its health answers are the
 * members' summed, so capacity and load read the same).
 *
 * On TCP: A call goes to the worker in service with the
 * least work from this gateway for its size (calls in flight over lanes + queue, as its last
 * health answer gives them); a frozen or dead worker is out of service within
 * WORKER_PROBE_INTERVAL_MS + HEALTH_TIMEOUT_MS and gets nothing until it answers again.
 */
@Injectable()
export class WorkerPool implements OnModuleInit, OnModuleDestroy {
  readonly links: readonly WorkerLink[];

  constructor(@Inject(WORKER_TARGETS) targets: readonly WorkerTarget[], config: AppConfig) {
    const { connections, healthTimeoutMs, probeIntervalMs } = config.worker;
    this.links = targets.map(
      (target) =>
        new WorkerLink(() => target.open(), {
          endpoint: target.endpoint,
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

  /** Workers behind the links as last seen (WORKER_URLS on TCP; the queue group's members on NATS). */
  get known(): number {
    return this.links.reduce((sum, link) => sum + link.known, 0);
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
