import { Injectable, Logger } from '@nestjs/common';
import type { DocumentOcrPolicy, OcrMode } from '@app/contracts';
import { AppConfig } from '../../config';
import { OcrWorkerClient } from '../../ocr-worker-client/ocr-worker.client';
import type { Reservation } from '../../usage/reservation';
import type { UsageLedger } from '../../usage/usage-ledger';
import type { OcrDocumentResultDto } from '../dto/ocr-document-result.dto';
import type { DocumentBytes } from '../image-input';
import { ImageInputErrors } from '../image-input/image-input.errors';
import type { OcrCall } from '../ocr-call.decorator';
import { resolvePages, type PageSelection } from './page-selection';

/** The worker accepts request ids of at most this many characters (for its logs). */
const WORKER_REQUEST_ID_MAX = 128;

export interface DocumentReadOptions {
  pages?: PageSelection;
  ocr: DocumentOcrPolicy;
  mode: OcrMode;
}

/**
 * One PDF from intake to result, all of its work on the worker: the worker opens it and counts
 * its pages (a damaged or locked PDF is refused there, before any quota is taken), the chosen
 * pages are reserved (one unit each, up front, so the quota is never overrun), the worker reads
 * them, and any page that produced no result is given back. Results are not cached.
 */
@Injectable()
export class DocumentOcrService {
  private readonly logger = new Logger(DocumentOcrService.name);

  constructor(
    private readonly worker: OcrWorkerClient,
    private readonly config: AppConfig,
  ) {}

  async read(
    document: DocumentBytes,
    options: DocumentReadOptions,
    call: OcrCall,
    ledger: UsageLedger,
  ): Promise<OcrDocumentResultDto> {
    const started = performance.now();
    const requestId = call.id.slice(0, WORKER_REQUEST_ID_MAX);
    const deadline = { deadline: call.arrivedAt + this.config.ocr.timeoutMs, signal: call.signal };
    const { pageCount } = await this.worker.inspectDocument({ requestId, bytes: document.bytes }, deadline);
    if (pageCount < 1) {
      throw ImageInputErrors.pagesOutOfRange(0, 1);
    }
    const pages = resolvePages(options.pages, pageCount, this.config.ocr.pdfMaxPages);
    const reservation = await ledger.reserve(pages.length);
    try {
      const result = await this.worker.readDocument(
        { requestId, bytes: document.bytes, pages, ocr: options.ocr, mode: options.mode },
        deadline,
      );
      // The worker answers every page or fails; should it ever answer fewer, they cost nothing.
      await this.refund(reservation, pages.length - result.pages.length);
      return {
        id: call.id,
        pages: result.pages,
        text: result.text,
        pageCount,
        model: result.model,
        device: result.device,
        cached: false,
        timing: { ...result.timing, totalMs: Math.round(performance.now() - started) },
      };
    } catch (error) {
      await this.refund(reservation, reservation.outstanding);
      throw error;
    }
  }

  /** A failed refund must not replace the error the client needs to see; it is logged instead. */
  private async refund(reservation: Reservation, units: number): Promise<void> {
    if (units <= 0) {
      return;
    }
    try {
      await reservation.refund(units);
    } catch (error) {
      this.logger.error(
        `Quota refund failed (${error instanceof Error ? error.constructor.name : typeof error}): ${units} unit(s) go back when the request is settled.`,
      );
    }
  }
}
