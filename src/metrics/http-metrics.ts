import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import { Histogram } from 'prom-client';
import { routeOf } from '../common/logging/logger';

export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

/** Requests that matched no route share one label: raw paths would explode the series count. */
const UNMATCHED_ROUTE = '(unmatched)';

/** Observes every request's duration by method, matched route and status. */
@Injectable()
export class HttpMetrics {
  constructor(@InjectMetric(HTTP_REQUEST_DURATION) private readonly duration: Histogram<string>) {}

  /** Mounted before the body parsers, so requests they refuse are counted too. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const stop = this.duration.startTimer();
    res.once('finish', () => {
      stop({
        method: req.method,
        route: routeOf(req) ?? UNMATCHED_ROUTE,
        status_code: String(res.statusCode),
      });
    });
    next();
  };
}
