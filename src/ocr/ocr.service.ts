import { Injectable, Logger } from '@nestjs/common';
import type { RecognizeResult } from '@app/contracts';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { toApiError } from '../common/errors/to-api-error';
import { AppConfig } from '../config';
import { Reservation } from '../usage/reservation';
import type { UsageLedger } from '../usage/usage-ledger';
import { ResultCache } from './cache/result-cache';
import { DocumentOcrService } from './document/document-ocr.service';
import { parsePageSelection } from './document/page-selection';
import type { OcrDocumentResultDto } from './dto/ocr-document-result.dto';
import { ImageBytes, ImageInputService, OcrInput } from './image-input';
import type { ImageSource } from './image-source';
import { OcrMetrics } from './metrics/ocr-metrics';
import type { OcrMode } from './ocr-mode';
import { OcrResultDto } from './dto/ocr-result.dto';
import { OcrWorkerClient } from '../ocr-worker-client/ocr-worker.client';
import type { OcrCall } from './ocr-call.decorator';
import type { DocumentOcrPolicy } from '@app/contracts';

/** The fields of a request that only mean something for a PDF (ignored for an image). */
export interface DocumentFields {
  pages?: string | null;
  ocr?: DocumentOcrPolicy | null;
}

/** The worker accepts request ids of at most this many characters (for its logs). */
const WORKER_REQUEST_ID_MAX = 128;

/**
 * One image from the request to the result: intake (a bad image is refused before it costs
 * anything), one unit of the daily quota reserved through the request's ledger, then the key's
 * results cache or the worker. Any failure after the reservation gives the unit back; the unit of
 * a result is charged once the answer has been sent (UsageSettlementInterceptor).
 */
@Injectable()
export class OcrService {
  private readonly logger = new Logger(OcrService.name);

  constructor(
    private readonly intake: ImageInputService,
    private readonly cache: ResultCache,
    private readonly worker: OcrWorkerClient,
    private readonly metrics: OcrMetrics,
    private readonly config: AppConfig,
    private readonly documents: DocumentOcrService,
  ) {}

  /**
   * `POST /api/v1/ocr`; the call's id becomes the result's id. An image is one unit and one
   * result; a PDF is read page by page (DocumentOcrService), a unit per page.
   */
  async recognize(
    key: AuthenticatedKey,
    source: ImageSource,
    mode: OcrMode,
    call: OcrCall,
    ledger: UsageLedger,
    fields: DocumentFields = {},
  ): Promise<OcrResultDto | OcrDocumentResultDto> {
    try {
      // A malformed `pages` is refused before anything is fetched or read.
      const pages = typeof fields.pages === 'string' ? parsePageSelection(fields.pages) : undefined;
      const input = await this.readInput(source);
      if (input.kind === 'document') {
        const result = await this.documents.read(
          input.document,
          { pages, ocr: fields.ocr ?? 'auto', mode },
          call,
          ledger,
        );
        this.metrics.image('single', 'ok');
        return result;
      }
      const reservation = await ledger.reserve();
      const result = await this.recognizeReserved(key, input.image, mode, call, reservation);
      this.metrics.image('single', 'ok');
      return result;
    } catch (error) {
      this.metrics.image('single', toApiError(error).code);
      throw error;
    }
  }

  /** Validated image bytes from an upload or an image string (fetching a URL under the SSRF rules). */
  read(source: ImageSource): Promise<ImageBytes> {
    return source.kind === 'upload' ? this.intake.fromUpload(source.file) : this.intake.resolve(source.value);
  }

  /** As `read`, and a PDF is taken too. */
  readInput(source: ImageSource): Promise<OcrInput> {
    return source.kind === 'upload'
      ? this.intake.inputFromUpload(source.file)
      : this.intake.resolveInput(source.value);
  }

  /** The work after admission: refunds `reservation` when no result comes of it. */
  async recognizeReserved(
    key: AuthenticatedKey,
    image: ImageBytes,
    mode: OcrMode,
    call: OcrCall,
    reservation: Reservation,
  ): Promise<OcrResultDto> {
    const { id } = call;
    const started = performance.now();
    try {
      const hit = await this.lookup(key, image, mode);
      if (hit !== undefined) {
        const totalMs = Math.round(performance.now() - started);
        return publicResult(hit, id, true, { totalMs, queueMs: 0, inferenceMs: 0 });
      }
      const result = await this.worker.recognize(
        {
          requestId: id.slice(0, WORKER_REQUEST_ID_MAX),
          bytes: image.bytes,
          image: { format: image.format, width: image.width, height: image.height },
          mode,
        },
        { deadline: call.arrivedAt + this.config.ocr.timeoutMs, signal: call.signal },
      );
      await this.remember(key, image, mode, result);
      return publicResult(result, id, false, result.timing);
    } catch (error) {
      await this.refund(reservation);
      throw error;
    }
  }

  /**
   * A result this key's lineage already paid for, for these bytes, this mode and the model the
   * worker runs now. Unknown model (the worker has not answered yet): no lookup.
   */
  private async lookup(
    key: AuthenticatedKey,
    image: ImageBytes,
    mode: OcrMode,
  ): Promise<RecognizeResult | undefined> {
    const model = this.worker.model;
    if (!this.cache.enabled || model === undefined) {
      return undefined;
    }
    let hit: RecognizeResult | undefined;
    try {
      hit = await this.cache.get(key.lineageId, image.sha256, mode, model);
    } catch (error) {
      this.logger.warn(`Results cache lookup failed (${errorType(error)}): treated as a miss.`);
    }
    this.metrics.cacheLookup(hit !== undefined);
    return hit;
  }

  private async remember(
    key: AuthenticatedKey,
    image: ImageBytes,
    mode: OcrMode,
    result: RecognizeResult,
  ): Promise<void> {
    try {
      await this.cache.set(key.lineageId, image.sha256, mode, result);
    } catch (error) {
      this.logger.warn(`Results cache write failed (${errorType(error)}).`);
    }
  }

  /** A failed refund must not replace the error the client needs to see; it is logged instead. */
  private async refund(reservation: Reservation): Promise<void> {
    const units = reservation.outstanding;
    try {
      await reservation.refund();
    } catch (error) {
      this.logger.error(
        `Quota refund failed (${errorType(error)}): ${units} unit(s) go back when the request is settled.`,
      );
    }
  }
}

/** The contract's result: the worker's answer with this request's id and whether it came from cache. */
export function publicResult(
  result: RecognizeResult,
  id: string,
  cached: boolean,
  timing: RecognizeResult['timing'],
): OcrResultDto {
  return {
    id,
    text: result.text,
    lines: result.lines,
    ...(result.markdown === undefined ? {} : { markdown: result.markdown }),
    width: result.width,
    height: result.height,
    warnings: result.warnings,
    model: result.model,
    device: result.device,
    cached,
    timing,
  };
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}
