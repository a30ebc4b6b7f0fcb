import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { finalize, Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/authenticated-request';
import { attachLedger } from './request-ledger';
import { UsageService } from './usage.service';

/**
 * The HTTP side of usage accounting, for the routes that reserve quota: gives each request a
 * ledger and settles it by what happened to the answer. `finish` (the whole answer was handed to
 * the connection): what is still reserved is charged. `close` without `finish` (the client went
 * away first): everything is given back, and so is whatever the handler reserves after that.
 * Failures have been refunded by the services already, before their error answer.
 */
@Injectable()
export class UsageSettlementInterceptor implements NestInterceptor {
  constructor(private readonly usage: UsageService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    if (request.apiKey === undefined) {
      return next.handle();
    }
    const response = http.getResponse<Response>();
    const ledger = this.usage.open(request.apiKey);
    attachLedger(request, ledger);
    // Gone during the upload already: nothing this request reserves can reach the client.
    let abandoned = response.destroyed;
    response.once('finish', () => this.usage.settle(ledger, true));
    response.once('close', () => {
      if (!response.writableFinished) {
        abandoned = true;
        this.usage.settle(ledger, false);
      }
    });
    return next.handle().pipe(
      finalize(() => {
        if (abandoned) {
          this.usage.settle(ledger, false);
        }
      }),
    );
  }
}
