import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A client's id is kept only when it cannot smuggle anything into headers or logs. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type RequestWithId = IncomingMessage & { id?: unknown; arrivedAt?: number };

export function newRequestId(): string {
  return `req_${randomBytes(12).toString('base64url')}`;
}

/** The request's id, assigning one (and the response header) if no middleware has yet. */
export function requestIdOf(req: IncomingMessage, res?: ServerResponse): string {
  const request = req as RequestWithId;
  if (typeof request.id === 'string') {
    return request.id;
  }
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : newRequestId();
  request.id = id;
  if (res && !res.headersSent) {
    res.setHeader(REQUEST_ID_HEADER, id);
  }
  return id;
}

/**
 * When the request arrived (epoch ms), stamped by the first middleware: deadlines run from here,
 * so the time a large body took to arrive counts against OCR_TIMEOUT_MS.
 */
export function arrivalOf(req: IncomingMessage): number {
  const request = req as RequestWithId;
  request.arrivedAt ??= Date.now();
  return request.arrivedAt;
}

/** First middleware of the app: every response, errors included, carries X-Request-Id. */
export function requestIdMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  arrivalOf(req);
  requestIdOf(req, res);
  next();
}
