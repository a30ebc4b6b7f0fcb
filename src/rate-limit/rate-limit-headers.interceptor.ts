import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { catchError, from, mergeMap, Observable } from 'rxjs';
import { ledgerOf } from '../usage/request-ledger';
import { RequestLimits } from './request-limits';

/**
 * Brings the quota part of the rate-limit headers up to date when a handler has reserved or
 * refunded units (its request's usage ledger says so), just before the answer or the error is
 * written: the headers then tell the state after this request's own reservations. Put it on the
 * routes that reserve, ahead of UsageSettlementInterceptor:
 * `@UseInterceptors(RateLimitHeadersInterceptor, UsageSettlementInterceptor)`.
 */
@Injectable()
export class RateLimitHeadersInterceptor implements NestInterceptor {
  private readonly logger = new Logger(RateLimitHeadersInterceptor.name);

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    const http = context.switchToHttp();
    const publish = async (): Promise<void> => {
      const ledger = ledgerOf(http.getRequest<object>());
      try {
        const snapshot = await ledger?.settledSnapshot();
        if (snapshot !== undefined) {
          RequestLimits.of(http.getResponse<Response>()).setDaily(snapshot);
        }
      } catch (error) {
        // A header is not worth failing an answer over; the guard's reading stays in place.
        this.logger.warn(
          `Daily usage unavailable for the rate-limit headers (${error instanceof Error ? error.constructor.name : typeof error}).`,
        );
      }
    };
    return next.handle().pipe(
      mergeMap((value: unknown) => from(publish().then(() => value))),
      catchError((error: unknown) =>
        from(
          publish().then(() => {
            throw error;
          }),
        ),
      ),
    );
  }
}
