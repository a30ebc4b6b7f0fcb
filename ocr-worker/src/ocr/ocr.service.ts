import type { Socket } from 'node:net';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { DocumentInfo, ReadDocumentResult, RecognizeResult, WorkerHealth } from '@app/contracts';
import { WorkerErrors } from '../common/errors/worker-error';
import type { WorkerConfig } from '../config/worker-config';
import { WORKER_CONFIG } from '../config/worker-config.constants';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { CallerWatch } from './caller-watch';
import { OcrScheduler } from './ocr-scheduler';
import type { DocumentOutput, DocumentTask, ImageOutput, LaneOutput } from './inference-lane';
import {
  parseInspectDocumentRequest,
  parseReadDocumentRequest,
  parseRecognizeRequest,
} from './recognize-request';
import { workerInstance } from './worker-instance';

/** A US Letter page, about the size of A4, in points: what a PDF page is expected to render to. */
const TYPICAL_PAGE_POINTS = 612 * 792;

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
      const scheduled = await this.scheduler.submit(
        { requestId: request.requestId, image: ownArrayBuffer(request.bytes), mode: request.mode },
        request.deadline,
        workingPixels,
        caller.signal,
      );
      const { queueMs, device, model } = scheduled;
      const output = imageOutput(scheduled.output);
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

  /** `ocr.document.inspect`: the PDF opened in a lane, its pages counted (nothing rendered). */
  async inspectDocument(data: unknown, socket?: Socket): Promise<DocumentInfo> {
    const receivedAt = performance.now();
    const request = parseInspectDocumentRequest(data);
    const { output, queueMs } = await this.runDocument(
      {
        kind: 'document',
        requestId: request.requestId,
        document: ownArrayBuffer(request.bytes),
        deadline: request.deadline,
      },
      0,
      request.jobId,
      socket,
    );
    this.logDocument('document inspected', request.requestId, output, queueMs, receivedAt);
    return { pageCount: output.pageCount };
  }

  /** `ocr.document.read`: the chosen pages, each from its text layer or rendered and recognised. */
  async readDocument(data: unknown, socket?: Socket): Promise<ReadDocumentResult> {
    const receivedAt = performance.now();
    const request = parseReadDocumentRequest(data, this.config.pdf.maxPages);
    // One page is rendered at a time: its pixels, not the document's, are what the lane holds.
    const dpi = this.config.pdf.renderDpi;
    const pagePixels = Math.min(
      this.config.maxImagePixels,
      Math.round((TYPICAL_PAGE_POINTS * dpi * dpi) / (72 * 72)),
    );
    const { output, queueMs, device, model } = await this.runDocument(
      {
        kind: 'document',
        requestId: request.requestId,
        document: ownArrayBuffer(request.bytes),
        read: { pages: request.pages, ocr: request.ocr, mode: request.mode },
        deadline: request.deadline,
      },
      pagePixels,
      request.jobId,
      socket,
    );
    this.logDocument('document read', request.requestId, output, queueMs, receivedAt);
    return {
      pages: output.pages,
      text: output.pages.map((page) => page.text).join('\n\n'),
      model,
      device,
      timing: {
        totalMs: Math.round(performance.now() - receivedAt),
        queueMs: Math.round(queueMs),
        inferenceMs: Math.round(output.inferenceMs),
      },
    };
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

  /** A document job through the scheduler, its caller watched like an image's. */
  private async runDocument(
    task: DocumentTask,
    pixels: number,
    jobId: string,
    socket: Socket | undefined,
  ): Promise<{ output: DocumentOutput; queueMs: number; device: 'cpu' | 'cuda'; model: string }> {
    const caller = this.callers.watch(jobId, socket);
    try {
      const scheduled = await this.scheduler.submit(task, task.deadline, pixels, caller.signal);
      return { ...scheduled, output: documentOutput(scheduled.output) };
    } finally {
      caller.release();
    }
  }

  private logDocument(
    message: string,
    requestId: string,
    output: DocumentOutput,
    queueMs: number,
    receivedAt: number,
  ): void {
    this.logger.log(
      {
        requestId,
        pageCount: output.pageCount,
        pages: output.pages.map(({ page, source, lines }) => ({ page, source, lines: lines.length })),
        queueMs: Math.round(queueMs),
        inferenceMs: Math.round(output.inferenceMs),
        totalMs: Math.round(performance.now() - receivedAt),
        stageMs: Object.fromEntries(
          Object.entries(output.stageMs).map(([stage, ms]) => [stage, Math.round(ms)]),
        ),
      },
      message,
    );
  }

  /** Runs before the TCP server closes, so accepted jobs can still answer on their sockets. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const { queueDepth, inFlight } = this.scheduler.health();
    this.logger.log({ signal: signal ?? 'close', inFlight, queueDepth }, 'shutting down');
    await this.scheduler.drain(this.config.shutdownGraceMs);
  }
}

/** Narrows a lane's answer to the kind of task it was given (a mismatch is a bug: internal_error). */
function imageOutput(output: LaneOutput): ImageOutput {
  if (output.kind === 'document') {
    throw WorkerErrors.internal();
  }
  return output;
}

function documentOutput(output: LaneOutput): DocumentOutput {
  if (output.kind !== 'document') {
    throw WorkerErrors.internal();
  }
  return output;
}

/** The lane thread takes the image's ArrayBuffer by transfer: it must hold these bytes only. */
function ownArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
