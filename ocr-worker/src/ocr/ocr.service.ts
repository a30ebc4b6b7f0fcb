import type { Socket } from 'node:net';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { RecognizeResult, WorkerHealth } from '@app/contracts';
import type { WorkerConfig } from '../config/worker-config';
import { WORKER_CONFIG } from '../config/worker-config.constants';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { CallerWatch } from './caller-watch';
import { OcrScheduler } from './ocr-scheduler';
import { parseRecognizeRequest } from './recognize-request';
import { workerInstance } from './worker-instance';

@Injectable()
export class OcrService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(OcrService.name);
  private readonly callers = new CallerWatch();

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly scheduler: OcrScheduler,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * `socket`: the TCP connection the request came on; its closing cancels the job if still queued.
   * On NATS there is none: a job is dropped unstarted at its deadline or on `ocr.cancel`.
   * Failures are thrown as they are: WorkerExceptionsFilter logs, counts and answers them.
   */
  async recognize(data: unknown, socket?: Socket): Promise<RecognizeResult> {
    const receivedAt = performance.now();
    const request = parseRecognizeRequest(data);
    // The gateway read the header; sharp's limit in the lane still guards the decoding itself.
    const pixels = request.image.width * request.image.height;
    const workingPixels = pixels > this.config.maxImagePixels ? 0 : pixels;
    const caller = this.callers.watch(request.jobId, socket);
    try {
      const { output, queueMs, device, model } = await this.scheduler.submit(
        { requestId: request.requestId, image: ownArrayBuffer(request.bytes), mode: request.mode },
        request.deadline,
        workingPixels,
        caller.signal,
      );
      const totalMs = Math.round(performance.now() - receivedAt);
      const stageMs = Object.fromEntries(
        Object.entries(output.stageMs).map(([stage, ms]) => [stage, Math.round(ms)]),
      );
      this.logger.log(
        {
          requestId: request.requestId,
          bytes: request.bytes.byteLength,
          width: output.width,
          height: output.height,
          lines: output.lines.length,
          queueMs: Math.round(queueMs),
          inferenceMs: Math.round(output.inferenceMs),
          totalMs,
          stageMs,
        },
        'recognized',
      );
      this.metrics.recognized({ stageMs: output.stageMs, lines: output.lines.length, queueMs, totalMs });
      return {
        text: output.text,
        lines: output.lines,
        ...(output.markdown === undefined ? {} : { markdown: output.markdown }),
        width: output.width,
        height: output.height,
        warnings: output.warnings,
        model,
        device,
        timing: { totalMs, queueMs: Math.round(queueMs), inferenceMs: Math.round(output.inferenceMs) },
      };
    } finally {
      caller.release();
    }
  }

  /** `ocr.cancel` from the gateway: its client went away. */
  cancel(data: unknown): void {
    const jobId = (data as { jobId?: unknown } | null)?.jobId;
    if (typeof jobId === 'string') {
      this.callers.cancel(jobId);
    }
  }

  health(): WorkerHealth {
    return { ...this.scheduler.health(), instance: workerInstance() };
  }

  /** Runs before the TCP server closes, so accepted jobs can still answer on their sockets. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const { queueDepth, inFlight } = this.scheduler.health();
    this.logger.log({ signal: signal ?? 'close', inFlight, queueDepth }, 'shutting down');
    await this.scheduler.drain(this.config.shutdownGraceMs);
  }
}

/** The lane thread takes the image's ArrayBuffer by transfer: it must hold these bytes only. */
function ownArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
