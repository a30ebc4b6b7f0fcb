import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { timeout } from 'rxjs';
import {
  isWorkerErrorPayload,
  OcrPatterns,
  type CancelRequest,
  type DeclaredImage,
  type DocumentInfo,
  type DocumentOcrPolicy,
  type OcrMode,
  type ReadDocumentResult,
  type RecognizeResult,
} from '@app/contracts';
import { AppConfig } from '../config';
import { OcrMetrics } from '../ocr/metrics/ocr-metrics';
import { WorkerAdmission } from './worker-admission';
import {
  isConnectionError,
  overloadedError,
  timeoutError,
  toWorkerApiError,
  unavailableError,
} from './worker-errors';
import type { WorkerLink } from './worker-link';
import { WorkerPool } from './worker-pool';

/** One image for the worker, as the gateway's image check accepted it. */
export interface WorkerJob {
  requestId: string;
  bytes: Buffer;
  image: DeclaredImage;
  mode: OcrMode;
}

/** A PDF for the worker: counted (`inspectDocument`), then the chosen pages read (`readDocument`). */
export interface DocumentJob {
  requestId: string;
  bytes: Buffer;
}

export interface DocumentReadJob extends DocumentJob {
  pages: number[];
  ocr: DocumentOcrPolicy;
  mode: OcrMode;
}

type Pattern = (typeof OcrPatterns)[keyof typeof OcrPatterns];

/** What every call carries: its job id (for `ocr.cancel`), its bytes, its deadline. */
interface OutgoingJob {
  jobId: string;
  bytes: Buffer;
  deadline: number;
}

/** Who waits for the answer: until `deadline` (epoch ms), and not after `signal` aborts. */
export interface WorkerCall {
  deadline: number;
  signal?: AbortSignal;
}

/**
 * Recognize calls to the OCR worker. Each call is admitted by jobs and bytes in flight
 * (WorkerAdmission: refused at once with 503 worker_overloaded beyond them), sent to a worker of
 * the WorkerPool with its deadline (which the worker also enforces: it drops the job unstarted once it
 * passes), and cancelled on the worker when the caller stops waiting (its HTTP client left). A
 * connection failure (refused, reset, closed) is retried once on a fresh send: the usual cause is a
 * worker restart. Failures come out as the contract's errors (worker-errors.ts).
 *
 * It also knows the model the worker runs (from each result and the link's health probes), which
 * is part of the results cache key.
 */
@Injectable()
export class OcrWorkerClient {
  private readonly admission: WorkerAdmission;
  private knownModel?: string;

  constructor(
    private readonly workers: WorkerPool,
    private readonly metrics: OcrMetrics,
    config: AppConfig,
  ) {
    this.admission = new WorkerAdmission(
      config.worker.maxInflightBytes,
      () => workers.capacity ?? config.worker.maxQueue * workers.known,
    );
  }

  /** The workers' model as last seen, or undefined before a worker has ever answered. */
  get model(): string | undefined {
    return this.workers.model ?? this.knownModel;
  }

  /** Jobs and image bytes this gateway has in flight to the worker. */
  get inFlight(): { jobs: number; bytes: number } {
    return this.admission.inFlight;
  }

  /**
   * @throws ApiError 503 worker_unavailable / worker_overloaded, 504 timeout, 413/415/422 for
   *   images the worker refuses, 500 internal_error
   */
  async recognize(job: WorkerJob, call: WorkerCall): Promise<RecognizeResult> {
    const result = await this.call<RecognizeResult>(OcrPatterns.recognize, job, call);
    this.knownModel = result.model;
    return result;
  }

  /**
   * Opens a PDF on the worker (in one of its lanes) and counts its pages.
   * @throws ApiError as `recognize`, and 422 invalid_document for a damaged or locked PDF
   */
  inspectDocument(job: DocumentJob, call: WorkerCall): Promise<DocumentInfo> {
    return this.call<DocumentInfo>(OcrPatterns.inspectDocument, job, call);
  }

  /** Reads the chosen pages of a PDF: from their text layers, or rendered and recognised. */
  async readDocument(job: DocumentReadJob, call: WorkerCall): Promise<ReadDocumentResult> {
    const result = await this.call<ReadDocumentResult>(OcrPatterns.readDocument, job, call);
    this.knownModel = result.model;
    return result;
  }

  private async call<T>(pattern: Pattern, job: { bytes: Buffer }, call: WorkerCall): Promise<T> {
    const done = this.metrics.workerCall();
    const release = this.admission.admit(job.bytes.byteLength);
    try {
      if (!release) {
        throw overloadedError();
      }
      const request = { ...job, jobId: newJobId(), deadline: call.deadline };
      const result = await this.sendWithRetry<T>(pattern, request, call.signal);
      done('ok');
      return result;
    } catch (error) {
      const failure = toWorkerApiError(error);
      done(failure.code);
      throw failure;
    } finally {
      release?.();
    }
  }

  /** A connection failure is retried once, on another worker when there is one in service. */
  private async sendWithRetry<T>(pattern: Pattern, request: OutgoingJob, signal?: AbortSignal): Promise<T> {
    const first = this.workers.pick();
    try {
      return await this.send<T>(first, pattern, request, signal);
    } catch (error) {
      if (!isConnectionError(error)) {
        throw error;
      }
      return this.send<T>(this.workers.pick(first), pattern, request, signal);
    }
  }

  private send<T>(
    link: WorkerLink,
    pattern: Pattern,
    request: OutgoingJob,
    signal?: AbortSignal,
  ): Promise<T> {
    const left = request.deadline - Date.now();
    if (left <= 0 || signal?.aborted) {
      return Promise.reject(timeoutError());
    }
    if (!link.inService) {
      return Promise.reject(unavailableError());
    }
    const lease = link.lease(request.bytes.byteLength);
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        signal?.removeEventListener('abort', onAbort);
        lease.release();
      };
      const subscription = lease.channel
        .send<T>(pattern, request)
        .pipe(timeout(left))
        .subscribe({
          next: (result) => {
            lease.answered();
            finish();
            resolve(result);
          },
          error: (error: unknown) => {
            if (isWorkerErrorPayload(error)) {
              lease.answered();
            }
            finish();
            // Connection failures stay as they are, for the retry; anything else is final.
            reject(isConnectionError(error) ? (error as Error) : toWorkerApiError(error));
          },
        });
      // Same connection as the job, so the cancel cannot overtake it.
      const onAbort = (): void => {
        subscription.unsubscribe();
        lease.channel
          .emit(OcrPatterns.cancel, { jobId: request.jobId } satisfies CancelRequest)
          .subscribe({ error: () => undefined });
        finish();
        reject(timeoutError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function newJobId(): string {
  return `job_${randomBytes(12).toString('base64url')}`;
}
