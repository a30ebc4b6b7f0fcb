import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { RecognizeResult, WorkerHealth } from '@app/contracts';
import type { WorkerConfig } from '../config/worker-config';
import { WORKER_CONFIG } from '../config/worker-config.constants';
import { declaredPixels } from './declared-pixels';
import { OcrScheduler } from './ocr-scheduler';
import { decodeImage, parseRecognizeRequest } from './recognize-request';
import { toRpcException, WorkerError } from './worker-error';

@Injectable()
export class OcrService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(OcrService.name);

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly scheduler: OcrScheduler,
  ) {}

  async recognize(data: unknown): Promise<RecognizeResult> {
    const receivedAt = performance.now();
    let requestId = '-';
    try {
      const request = parseRecognizeRequest(data);
      requestId = request.requestId;
      const image = decodeImage(request.image);
      if (image.byteLength === 0) {
        throw new WorkerError('invalid_image', 'The image is empty.');
      }
      const bytes = image.byteLength;
      const pixels = await declaredPixels(new Uint8Array(image));
      // An image over the limit is refused from its header in the lane: it decodes nothing.
      const workingPixels = pixels > this.config.maxImagePixels ? 0 : pixels;
      const { output, queueMs, device, model } = await this.scheduler.submit(
        { requestId, image, mode: request.mode },
        request.deadline,
        workingPixels,
      );
      const totalMs = Math.round(performance.now() - receivedAt);
      const stages = Object.entries(output.stageMs)
        .map(([stage, ms]) => `${stage}=${Math.round(ms)}`)
        .join(' ');
      this.logger.log(
        `recognized request=${requestId} bytes=${bytes} size=${output.width}x${output.height} lines=${output.lines.length} queueMs=${Math.round(queueMs)} inferenceMs=${Math.round(output.inferenceMs)} totalMs=${totalMs} ${stages}`,
      );
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
    } catch (error) {
      const code = error instanceof WorkerError ? error.code : 'internal_error';
      const totalMs = Math.round(performance.now() - receivedAt);
      this.logger.warn(`refused request=${requestId} code=${code} totalMs=${totalMs}`);
      throw toRpcException(error);
    }
  }

  health(): WorkerHealth {
    return this.scheduler.health();
  }

  /** Runs before the TCP server closes, so accepted jobs can still answer on their sockets. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const { queueDepth, inFlight } = this.scheduler.health();
    this.logger.log(`shutting down (${signal ?? 'close'}): ${inFlight} running, ${queueDepth} queued`);
    await this.scheduler.drain(this.config.shutdownGraceMs);
  }
}
