import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { AuthenticatedRequest } from '../../auth/authenticated-request';
import { ApiMetrics } from '../../metrics/api-metrics';
import { ApiError } from '../errors/api-error';
import { toApiError } from '../errors/to-api-error';
import { requestIdOf } from '../middleware/request-id.middleware';

/** The contract's one error shape. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/**
 * The one exception filter: every error, from a controller, a guard, a pipe, a body parser or
 * Nest's router, is answered as `{"error":{"code","message","requestId"}}` with the ApiError's
 * headers. Unexpected errors are logged by type and code only: their messages and stacks may
 * carry SQL, paths or secrets. Being the one place every refusal passes, it counts the limits'
 * (429) by the key's tier.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    @InjectPinoLogger(AllExceptionsFilter.name) private readonly logger: PinoLogger,
    private readonly metrics: ApiMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw exception;
    }
    const http = host.switchToHttp();
    this.respond(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }

  respond(exception: unknown, req: Request, res: Response): void {
    const requestId = requestIdOf(req, res);
    const error = toApiError(exception, { method: req.method, path: req.path });
    if (!(exception instanceof ApiError) && error.getStatus() >= 500) {
      this.logger.error({ requestId, error: describeUnexpected(exception) }, 'unexpected error');
    }
    if (error.code === 'rate_limited' || error.code === 'quota_exceeded') {
      this.metrics.refusal(error.code, (req as AuthenticatedRequest).apiKey?.tier);
    }
    if (res.headersSent) {
      // Part of another answer is on the wire: the only honest thing left is to cut it short.
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(error.headers)) {
      res.setHeader(name, value);
    }
    const body: ErrorBody = { error: { code: error.code, message: error.message, requestId } };
    res.status(error.getStatus()).json(body);
  }
}

/** Enough to find the failure in the code, nothing that could leak data: no message, no stack. */
function describeUnexpected(exception: unknown): { type: string; code?: string } {
  if (exception instanceof Error) {
    const code = (exception as { code?: unknown }).code;
    return {
      type: exception.constructor.name,
      ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
    };
  }
  return { type: typeof exception };
}
