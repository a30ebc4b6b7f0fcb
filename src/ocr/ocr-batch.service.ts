import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import pMap from 'p-map';
import type { AuthenticatedKey } from '../auth/authenticated-key';
import { ApiError } from '../common/errors/api-error';
import { toApiError } from '../common/errors/to-api-error';
import { AppConfig } from '../config';
import { Reservation } from '../usage/reservation';
import type { UsageLedger } from '../usage/usage-ledger';
import { OrderedTurns } from './batch/ordered-turns';
import {
  OcrBatchImageDto,
  OcrBatchItemDto,
  OcrBatchRequestDto,
  OcrBatchResponseDto,
} from './dto/ocr-batch.dto';
import type { ImageBytes } from './image-input';
import { OcrMetrics } from './metrics/ocr-metrics';
import { OcrMode, resolveOcrMode } from './ocr-mode';
import { OcrService } from './ocr.service';
import type { OcrCall } from './ocr-call.decorator';

interface Admitted {
  image: ImageBytes;
  reservation: Reservation;
}

/** Shared by the items of one batch: the quota refusal that ends admissions. */
interface BatchState {
  readonly key: AuthenticatedKey;
  readonly ledger: UsageLedger;
  readonly mode: OcrMode;
  readonly call: OcrCall;
  readonly turns: OrderedTurns;
  quotaRefusal?: ApiError;
}

/**
 * `POST /api/v1/ocr/batch`: every image on its own (intake, one unit of quota, cache or worker)
 * with at most BATCH_CONCURRENCY in flight, so one batch cannot fill the worker's queue. Quota is
 * reserved in item order: once it runs out, that item and every later one answer quota_exceeded.
 * A failed item is an error entry and gives its unit back at once; the units of the results are
 * charged when the batch answer has been sent. The request fails only when it is malformed.
 */
@Injectable()
export class OcrBatchService {
  private readonly logger = new Logger(OcrBatchService.name);

  constructor(
    private readonly ocr: OcrService,
    private readonly metrics: OcrMetrics,
    private readonly config: AppConfig,
  ) {}

  async recognize(
    key: AuthenticatedKey,
    request: OcrBatchRequestDto,
    call: OcrCall,
    ledger: UsageLedger,
  ): Promise<OcrBatchResponseDto> {
    const { batchMax, batchConcurrency } = this.config.ocr;
    if (request.images.length > batchMax) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'validation_failed',
        `Invalid request: images must contain at most ${batchMax} items; split larger batches.`,
      );
    }
    const state: BatchState = {
      key,
      ledger,
      mode: resolveOcrMode(request.mode),
      call,
      turns: new OrderedTurns(request.images.length),
    };
    // Items start in order (their quota turns rely on it) and never throw: a failure is an entry.
    // No abort signal: an item already admitted settles its unit whether or not the client waits.
    const results = await pMap(request.images, (item, index) => this.item(state, item, index), {
      concurrency: batchConcurrency,
    });
    return { results };
  }

  private async item(state: BatchState, item: OcrBatchImageDto, index: number): Promise<OcrBatchItemDto> {
    const id = item.id === undefined || item.id === null ? {} : { id: item.id };
    try {
      const { image, reservation } = await this.admit(state, item, index);
      const result = await this.ocr.recognizeReserved(
        state.key,
        image,
        state.mode,
        { ...state.call, id: `${state.call.id}.${index}` },
        reservation,
      );
      this.metrics.image('batch', 'ok');
      return { ...id, result };
    } catch (error) {
      if (!(error instanceof ApiError)) {
        this.logger.error(
          `Unexpected error in item ${index} of batch ${state.call.id} (${errorType(error)}).`,
        );
      }
      const failure = toApiError(error);
      this.metrics.image('batch', failure.code);
      const retryAfter = Number(failure.headers['Retry-After']);
      return {
        ...id,
        error: { code: failure.code, message: failure.message, ...(retryAfter > 0 ? { retryAfter } : {}) },
      };
    }
  }

  /** Intake in parallel, then the item's reservation in its turn (item order). */
  private async admit(state: BatchState, item: OcrBatchImageDto, index: number): Promise<Admitted> {
    let read: { image: ImageBytes } | { error: unknown };
    try {
      read = { image: await this.ocr.read({ kind: 'inline', value: item.image }) };
    } catch (error) {
      read = { error };
    }
    return state.turns.take(index, async () => {
      if ('error' in read) {
        throw read.error;
      }
      if (state.quotaRefusal) {
        throw state.quotaRefusal;
      }
      try {
        return { image: read.image, reservation: await state.ledger.reserve() };
      } catch (error) {
        if (error instanceof ApiError && error.code === 'quota_exceeded') {
          state.quotaRefusal = error;
        }
        throw error;
      }
    });
  }
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}
