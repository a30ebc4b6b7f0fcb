import { Injectable, NestMiddleware } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RequestLimits } from './request-limits';

/** Makes the request's RequestLimits current for everything after it (guards, services, filters). */
@Injectable()
export class RequestLimitsMiddleware implements NestMiddleware {
  use(_req: Request, res: Response, next: () => void): void {
    RequestLimits.run(RequestLimits.of(res), next);
  }
}
