import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { arrivalOf, requestIdOf } from '../common/middleware/request-id.middleware';

/** One OCR request as the worker calls see it: its id, when it arrived, and whether anyone still waits. */
export interface OcrCall {
  /** The X-Request-Id answered; it becomes the result's id. */
  readonly id: string;
  /** Epoch ms; the OCR deadline is `arrivedAt + OCR_TIMEOUT_MS`. */
  readonly arrivedAt: number;
  /** Aborted when the client closes the connection before its answer is sent. */
  readonly signal: AbortSignal;
}

/**
 * The request's OcrCall. The signal lets the worker drop the jobs of a client that went away
 * instead of recognising images nobody will read (and that nobody is billed for).
 */
export const CurrentOcrCall = createParamDecorator((_data: unknown, context: ExecutionContext): OcrCall => {
  const http = context.switchToHttp();
  const req = http.getRequest<Request>();
  const res = http.getResponse<Response>();
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) {
      gone.abort();
    }
  });
  return { id: requestIdOf(req, res), arrivedAt: arrivalOf(req), signal: gone.signal };
});
