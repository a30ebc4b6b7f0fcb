import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import { OcrWorkerClient } from '../../ocr-worker-client/ocr-worker.client';

export const WORKER_BYTES_IN_FLIGHT = 'gateway_worker_bytes_in_flight';
export const WORKER_JOBS_IN_FLIGHT = 'gateway_worker_jobs_in_flight';

/**
 * What this gateway has handed to the workers and not yet had answered (WorkerAdmission's counts,
 * read at each scrape): image bytes against WORKER_MAX_INFLIGHT_BYTES, and jobs. Registered in
 * prom-client's default registry, replacing the gauges of an application made before this one in
 * the same process (tests), whose client would be stale.
 */
@Injectable()
export class WorkerInFlightMetrics implements OnModuleDestroy {
  private readonly gauges: ReadonlyArray<readonly [string, Gauge]>;

  constructor(client: OcrWorkerClient) {
    register.removeSingleMetric(WORKER_BYTES_IN_FLIGHT);
    register.removeSingleMetric(WORKER_JOBS_IN_FLIGHT);
    const bytes = new Gauge({
      name: WORKER_BYTES_IN_FLIGHT,
      help: 'Image bytes sent to the OCR workers and not yet answered (at most WORKER_MAX_INFLIGHT_BYTES; beyond, 503 worker_overloaded).',
      collect() {
        this.set(client.inFlight.bytes);
      },
    });
    const jobs = new Gauge({
      name: WORKER_JOBS_IN_FLIGHT,
      help: 'Recognize calls sent to the OCR workers and not yet answered.',
      collect() {
        this.set(client.inFlight.jobs);
      },
    });
    this.gauges = [
      [WORKER_BYTES_IN_FLIGHT, bytes],
      [WORKER_JOBS_IN_FLIGHT, jobs],
    ];
  }

  onModuleDestroy(): void {
    for (const [name, gauge] of this.gauges) {
      if (register.getSingleMetric(name) === gauge) {
        register.removeSingleMetric(name);
      }
    }
  }
}
