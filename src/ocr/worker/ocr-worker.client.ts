import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import {
  OCR_WORKER_CLIENT,
  OcrPatterns,
  type RecognizeRequest,
  type RecognizeResult,
  type WorkerHealth,
} from '@app/contracts';
import { AppConfig } from '../../config';
import { WorkerTcpClient } from '../../ocr-client/worker-tcp.client';
import { OcrMetrics } from '../metrics/ocr-metrics';
import { isConnectionError, timeoutError, toWorkerApiError } from './worker-errors';

/** How often the worker's model is re-read: bounds how long cache keys can lag behind a model upgrade. */
export const MODEL_REFRESH_MS = 30_000;

/**
 * Recognize calls to the OCR worker over the shared TCP ClientProxy. Every call carries the
 * deadline to the worker (which drops the job unstarted once it passes) and waits for it no
 * longer than that. A connection failure (refused, reset, closed, or not established within
 * WORKER_CONNECT_TIMEOUT_MS) is retried once on a fresh connection: the usual cause is a worker
 * restart, after which the old socket is dead and a new one works. A deadline that passes without
 * an answer is checked with a health probe (see checkConnection). Failures come out as the
 * contract's errors (see worker-errors.ts).
 *
 * It also knows the model the worker runs (from each result and a periodic health probe), which
 * is part of the results cache key.
 */
@Injectable()
export class OcrWorkerClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OcrWorkerClient.name);
  private knownModel?: string;
  private refreshTimer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    @Inject(OCR_WORKER_CLIENT) private readonly client: ClientProxy,
    private readonly metrics: OcrMetrics,
    private readonly config: AppConfig,
  ) {}

  /** The worker's model as last seen, or undefined before the worker has ever answered. */
  get model(): string | undefined {
    return this.knownModel;
  }

  onModuleInit(): void {
    void this.refreshModel();
    this.refreshTimer = setInterval(() => void this.refreshModel(), MODEL_REFRESH_MS);
    this.refreshTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.refreshTimer);
  }

  /**
   * @param deadline epoch milliseconds after which nobody waits for the answer
   * @throws ApiError 503 worker_unavailable / worker_overloaded, 504 timeout, 413/415/422 for
   *   images the worker refuses, 500 internal_error
   */
  async recognize(request: Omit<RecognizeRequest, 'deadline'>, deadline: number): Promise<RecognizeResult> {
    const done = this.metrics.workerCall();
    try {
      const result = await this.sendWithRetry({ ...request, deadline });
      this.knownModel = result.model;
      done('ok');
      return result;
    } catch (error) {
      const failure = toWorkerApiError(error);
      done(failure.code);
      if (error instanceof Error && error.name === 'TimeoutError') {
        void this.checkConnection();
      }
      throw failure;
    }
  }

  /**
   * After a deadline passed: a worker that also leaves a health probe unanswered is not slow but
   * unreachable on this connection (frozen, or its host gone without closing the socket, which TCP
   * notices only after many minutes). Its connection is dropped so that later requests dial afresh
   * instead of each waiting out its deadline on a dead socket.
   */
  private async checkConnection(): Promise<void> {
    if (this.checking || !(this.client instanceof WorkerTcpClient)) {
      return;
    }
    this.checking = true;
    try {
      await this.probe();
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        this.logger.warn('The OCR worker left a health probe unanswered after a timeout: reconnecting.');
        this.client.dropConnection();
      }
    } finally {
      this.checking = false;
    }
  }

  private probe(): Promise<WorkerHealth> {
    return firstValueFrom(
      this.client
        .send<WorkerHealth, Record<string, never>>(OcrPatterns.health, {})
        .pipe(timeout(this.config.worker.healthTimeoutMs)),
    );
  }

  private async sendWithRetry(request: RecognizeRequest): Promise<RecognizeResult> {
    try {
      return await this.send(request);
    } catch (error) {
      if (!isConnectionError(error)) {
        throw error;
      }
      return this.send(request);
    }
  }

  private send(request: RecognizeRequest): Promise<RecognizeResult> {
    const left = request.deadline - Date.now();
    if (left <= 0) {
      return Promise.reject(timeoutError());
    }
    return firstValueFrom(
      this.client.send<RecognizeResult, RecognizeRequest>(OcrPatterns.recognize, request).pipe(timeout(left)),
    );
  }

  /** A failed probe changes nothing: the last known model stays valid until a result says otherwise. */
  private async refreshModel(): Promise<void> {
    try {
      this.knownModel = (await this.probe()).model;
    } catch {
      // Unreachable or slow: recognize calls report that themselves.
    }
  }
}
