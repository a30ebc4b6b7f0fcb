import { createHash } from 'node:crypto';
import { Counter, Histogram } from 'prom-client';
import type { RecognizeResult } from '@app/contracts';
import type { AuthenticatedKey } from '../../auth/authenticated-key';
import { ApiError } from '../../common/errors/api-error';
import { Reservation } from '../../usage/reservation';
import type { ImageBytes, OcrInput } from '../image-input';
import type { WorkerCall, WorkerJob } from '../../ocr-worker-client/ocr-worker.client';
import { OcrMetrics } from '../metrics/ocr-metrics';
import type { OcrCall } from '../ocr-call.decorator';

/** Fakes of the OCR services' collaborators, each keeping the real one's contract. */

/** Metrics on throwaway registries, so specs can read what was counted. */
export function testMetrics(): {
  metrics: OcrMetrics;
  images: Counter<string>;
  lookups: Counter<string>;
  workerDuration: Histogram<string>;
} {
  const requests = new Counter({ name: 'r', help: 'r', labelNames: ['endpoint', 'outcome'], registers: [] });
  const images = new Counter({ name: 'i', help: 'i', labelNames: ['endpoint', 'outcome'], registers: [] });
  const duration = new Histogram({ name: 'd', help: 'd', labelNames: ['outcome'], registers: [] });
  const lookups = new Counter({ name: 'c', help: 'c', labelNames: ['result'], registers: [] });
  return {
    metrics: new OcrMetrics(requests, images, duration, lookups),
    images,
    lookups,
    workerDuration: duration,
  };
}

/** The value of one labelled series of a counter (or of a histogram's `_count`). */
export async function counted(
  metric: Counter<string> | Histogram<string>,
  labels: Record<string, string>,
): Promise<number> {
  const { values } = (await metric.get()) as {
    values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  };
  const match = values.find(
    (v) =>
      (metric instanceof Counter || (v.metricName ?? '').endsWith('_count')) &&
      Object.entries(labels).every(([name, value]) => v.labels[name] === value),
  );
  return match?.value ?? 0;
}

export const TEST_KEY: AuthenticatedKey = {
  id: 'key1',
  lineageId: 'lineage1',
  name: 'app',
  tier: 'free',
  scopes: ['ocr'],
  dailyLimit: 100,
};

export function workerResult(overrides: Partial<RecognizeResult> = {}): RecognizeResult {
  return {
    text: 'TOTAL 12.50',
    lines: [
      {
        text: 'TOTAL 12.50',
        confidence: 0.97,
        box: [
          [1, 2],
          [30, 2],
          [30, 10],
          [1, 10],
        ],
        words: [
          {
            text: 'TOTAL',
            confidence: 0.98,
            box: [
              [1, 2],
              [18, 2],
              [18, 10],
              [1, 10],
            ],
          },
          {
            text: '12.50',
            confidence: 0.96,
            box: [
              [21, 2],
              [30, 2],
              [30, 10],
              [21, 10],
            ],
          },
        ],
      },
    ],
    width: 64,
    height: 32,
    warnings: [],
    model: 'PP-OCRv4 test',
    device: 'cpu',
    timing: { totalMs: 120, queueMs: 3, inferenceMs: 110 },
    ...overrides,
  };
}

/** ImageInputService's contract: strings become images, except those that name a refusal. */
export class FakeIntake {
  readonly reads: string[] = [];

  /** `delayMs` stands for the time a read takes (a URL fetch, say). */
  constructor(private readonly delayMs: (source: string) => number = () => 0) {}

  async resolve(source: string): Promise<ImageBytes> {
    this.reads.push(source);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs(source)));
    if (source.startsWith('bad')) {
      throw new ApiError(422, 'invalid_image', 'The image could not be read: it is damaged.');
    }
    return imageBytes(Buffer.from(source));
  }

  fromUpload(file: { buffer: Buffer }): Promise<ImageBytes> {
    return Promise.resolve(imageBytes(file.buffer));
  }

  /** Images only: the PDF path is proven against the real worker (test/e2e/ocr-pdf.e2e-spec.ts). */
  async resolveInput(source: string): Promise<OcrInput> {
    return { kind: 'image', image: await this.resolve(source) };
  }

  async inputFromUpload(file: { buffer: Buffer }): Promise<OcrInput> {
    return { kind: 'image', image: await this.fromUpload(file) };
  }
}

export function imageBytes(bytes: Buffer): ImageBytes {
  return {
    bytes,
    format: 'png',
    width: 64,
    height: 32,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** UsageLedger's reserve/refund contract over a counter (atomicity is proven against Postgres in test/). */
export class FakeLedger {
  used = 0;
  reservations = 0;

  constructor(private readonly limit = 100) {}

  reserve(units = 1): Promise<Reservation> {
    if (this.used + units > this.limit) {
      return Promise.reject(
        new ApiError(429, 'quota_exceeded', 'The daily quota is used up.', { 'Retry-After': '3600' }),
      );
    }
    this.used += units;
    this.reservations += 1;
    return Promise.resolve(
      new Reservation(String(this.reservations), '2026-11-27', units, (units) => {
        this.used -= units;
        return Promise.resolve();
      }),
    );
  }
}

/** OcrWorkerClient's contract: answers from a function, the model it last saw. */
export class FakeWorker {
  model: string | undefined = 'PP-OCRv4 test';
  readonly calls: Array<{ request: WorkerJob; deadline: number; signal?: AbortSignal }> = [];
  running = 0;
  peak = 0;

  constructor(
    private readonly answer: (request: WorkerJob) => Promise<RecognizeResult> = () =>
      Promise.resolve(workerResult()),
  ) {}

  async recognize(request: WorkerJob, call: WorkerCall): Promise<RecognizeResult> {
    this.calls.push({ request, ...call });
    this.running += 1;
    this.peak = Math.max(this.peak, this.running);
    try {
      return await this.answer(request);
    } finally {
      this.running -= 1;
    }
  }
}

/** An OcrCall that arrived now and whose client keeps waiting. */
export function ocrCall(id: string, arrivedAt = Date.now()): OcrCall {
  return { id, arrivedAt, signal: new AbortController().signal };
}
