import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkerErrorCode, WorkerHealth } from '@app/contracts';

/** Seconds: a stage takes milliseconds on a small image and seconds on a large scan. */
const STAGE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

export interface RecognizedJob {
  /** Milliseconds per pipeline stage (decode, detect, postprocess, crop, classify, recognize, layout). */
  stageMs: Record<string, number>;
  lines: number;
  queueMs: number;
  totalMs: number;
}

/**
 * The worker's metrics, in a registry of its own, served by WorkerMetricsServer on a loopback
 * port (WORKER_METRICS_PORT). Labels are closed sets: stage names, error codes, lane states, and
 * the one device and model the worker runs; never a request id.
 */
@Injectable()
export class WorkerMetrics {
  readonly registry = new Registry();
  private health?: () => WorkerHealth;
  private readonly stages: Histogram<'stage'>;
  private readonly queueWait: Histogram;
  private readonly jobs: Histogram;
  private readonly images: Counter;
  private readonly lines: Counter;
  private readonly refusals: Counter<'code'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.stages = new Histogram({
      name: 'ocr_worker_stage_duration_seconds',
      help: 'Time per pipeline stage of each recognised image, in seconds.',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'ocr_worker_queue_wait_seconds',
      help: 'Time a recognised image waited for a lane, in seconds.',
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.jobs = new Histogram({
      name: 'ocr_worker_job_duration_seconds',
      help: 'Time from receiving a recognised image to its answer (queue included), in seconds.',
      buckets: JOB_BUCKETS,
      registers,
    });
    this.images = new Counter({ name: 'ocr_worker_images_total', help: 'Images recognised.', registers });
    this.lines = new Counter({ name: 'ocr_worker_lines_total', help: 'Text lines recognised.', registers });
    this.refusals = new Counter({
      name: 'ocr_worker_refusals_total',
      help: 'Jobs refused or failed, by worker error code.',
      labelNames: ['code'],
      registers,
    });
    const read = (): WorkerHealth | undefined => this.health?.();
    new Gauge({
      name: 'ocr_worker_queue_depth',
      help: 'Jobs waiting for a lane.',
      registers,
      collect() {
        this.set(read()?.queueDepth ?? 0);
      },
    });
    new Gauge({
      name: 'ocr_worker_queue_limit',
      help: 'The queue bound (WORKER_MAX_QUEUE): one more job is refused with worker_overloaded.',
      registers,
      collect() {
        this.set(read()?.maxQueue ?? 0);
      },
    });
    new Gauge({
      name: 'ocr_worker_jobs_in_flight',
      help: 'Jobs being recognised now.',
      registers,
      collect() {
        this.set(read()?.inFlight ?? 0);
      },
    });
    new Gauge({
      name: 'ocr_worker_lanes',
      help: 'Live inference lanes by state (busy: recognising an image; idle: waiting for one).',
      labelNames: ['state'],
      registers,
      collect() {
        const health = read();
        const busy = health?.inFlight ?? 0;
        this.set({ state: 'busy' }, busy);
        this.set({ state: 'idle' }, Math.max(0, (health?.lanes ?? 0) - busy));
      },
    });
    new Gauge({
      name: 'ocr_worker_info',
      help: 'Always 1; the device and the model the worker runs, as labels.',
      labelNames: ['device', 'model'],
      registers,
      collect() {
        const health = read();
        this.reset();
        if (health) {
          this.set({ device: health.device, model: health.model }, 1);
        }
      },
    });
  }

  /** Where the gauges read the scheduler's state at each scrape. */
  watch(health: () => WorkerHealth): void {
    this.health = health;
  }

  recognized(job: RecognizedJob): void {
    for (const [stage, ms] of Object.entries(job.stageMs)) {
      this.stages.observe({ stage }, ms / 1000);
    }
    this.queueWait.observe(job.queueMs / 1000);
    this.jobs.observe(job.totalMs / 1000);
    this.images.inc();
    this.lines.inc(job.lines);
  }

  refused(code: WorkerErrorCode): void {
    this.refusals.inc({ code });
  }
}
