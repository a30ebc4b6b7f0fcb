import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../common/middleware/request-id.middleware';

/** The request's id (the X-Request-Id answered), which becomes the OCR result's id. */
export const RequestId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const http = context.switchToHttp();
  return requestIdOf(http.getRequest<Request>(), http.getResponse<Response>());
});
