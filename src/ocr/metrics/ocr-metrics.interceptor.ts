import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { toApiError } from '../../common/errors/to-api-error';
import { OcrEndpoint, OcrMetrics } from './ocr-metrics';

/**
 * Counts OCR requests by outcome, including refusals by the upload parser and the validation pipe
 * (both run inside interceptors); authentication and rate-limit refusals happen in guards, before
 * it, and show in http_request_duration_seconds instead.
 */
@Injectable()
export class OcrMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: OcrMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const endpoint: OcrEndpoint = context.getHandler().name === 'recognizeBatch' ? 'batch' : 'single';
    return next.handle().pipe(
      tap({
        next: () => this.metrics.request(endpoint, 'ok'),
        error: (error: unknown) => this.metrics.request(endpoint, toApiError(error).code),
      }),
    );
  }
}
