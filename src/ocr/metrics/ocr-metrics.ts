import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import type { ApiErrorCode } from '../../common/errors/api-error';

export const OCR_REQUESTS = 'ocr_requests_total';
export const OCR_IMAGES = 'ocr_images_total';
export const OCR_WORKER_DURATION = 'ocr_worker_request_duration_seconds';
export const OCR_CACHE_LOOKUPS = 'ocr_cache_lookups_total';

export type OcrEndpoint = 'single' | 'batch';
/** `ok` or the contract's error code: a bounded label set. */
export type OcrOutcome = 'ok' | ApiErrorCode;

/**
 * The OCR metrics, registered in prom-client's default registry (what GET /metrics serves when
 * METRICS_ENABLED; harmless otherwise).
 */
export const OCR_METRIC_PROVIDERS = [
  makeCounterProvider({
    name: OCR_REQUESTS,
    help: 'OCR requests by endpoint (single, batch) and outcome (ok or the error code answered).',
    labelNames: ['endpoint', 'outcome'],
  }),
  makeCounterProvider({
    name: OCR_IMAGES,
    help: 'OCR images by endpoint and outcome (ok or the error code of that image).',
    labelNames: ['endpoint', 'outcome'],
  }),
  makeHistogramProvider({
    name: OCR_WORKER_DURATION,
    help: 'Round trip of recognize calls to the OCR worker in seconds, by outcome.',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
  }),
  makeCounterProvider({
    name: OCR_CACHE_LOOKUPS,
    help: 'Results cache lookups by result (hit, miss).',
    labelNames: ['result'],
  }),
];

@Injectable()
export class OcrMetrics {
  constructor(
    @InjectMetric(OCR_REQUESTS) private readonly requests: Counter<string>,
    @InjectMetric(OCR_IMAGES) private readonly images: Counter<string>,
    @InjectMetric(OCR_WORKER_DURATION) private readonly workerDuration: Histogram<string>,
    @InjectMetric(OCR_CACHE_LOOKUPS) private readonly cacheLookups: Counter<string>,
  ) {}

  request(endpoint: OcrEndpoint, outcome: OcrOutcome): void {
    this.requests.inc({ endpoint, outcome });
  }

  image(endpoint: OcrEndpoint, outcome: OcrOutcome): void {
    this.images.inc({ endpoint, outcome });
  }

  /** Starts timing a worker call; call the result with its outcome. */
  workerCall(): (outcome: OcrOutcome) => void {
    const stop = this.workerDuration.startTimer();
    return (outcome) => {
      stop({ outcome });
    };
  }

  cacheLookup(hit: boolean): void {
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }
}
