import { createServer, type Server } from 'node:http';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { WorkerConfig } from '../config/worker-config';
import { WORKER_CONFIG } from '../config/worker-config.constants';
import { OcrScheduler } from '../ocr/ocr-scheduler';
import { WorkerMetrics } from './worker-metrics';

/** Loopback only: the worker has no other HTTP surface, and Prometheus runs on its host. */
export const WORKER_METRICS_HOST = '127.0.0.1';

/**
 * GET /metrics (Prometheus text) on 127.0.0.1:WORKER_METRICS_PORT, when that is set. Nothing else
 * answers there: every other request is a 404.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly metrics: WorkerMetrics,
    private readonly scheduler: OcrScheduler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metricsPort;
    if (port === undefined) {
      return;
    }
    this.metrics.watch(() => this.scheduler.health());
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable\n'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, WORKER_METRICS_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log({ host: WORKER_METRICS_HOST, port }, 'metrics listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
