import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Every answer of the gateway is for its one client: plaintext keys (create, rotate), key
 * listings, usage and OCR results must never sit in a shared or browser cache. Errors included.
 */
export function noStoreMiddleware(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}
