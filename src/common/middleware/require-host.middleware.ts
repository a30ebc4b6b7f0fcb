import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../errors/api-error';

/** RFC 9112: an HTTP/1.1 request without Host is refused with 400 (here in the contract's shape). */
export function requireHostMiddleware(
  req: IncomingMessage,
  _res: ServerResponse,
  next: (error?: unknown) => void,
): void {
  if (req.httpVersion === '1.1' && !req.headers.host) {
    next(new ApiError(400, 'validation_failed', 'Invalid request: an HTTP/1.1 request needs a Host header.'));
    return;
  }
  next();
}
