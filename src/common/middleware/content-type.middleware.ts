import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../errors/api-error';

/** The body types the API reads: JSON everywhere, multipart for image uploads. */
export const ACCEPTED_BODY_TYPES = ['application/json', 'application/*+json', 'multipart/form-data'];

/**
 * Refuses a body of any other type with 415 before a parser ignores it and the handler
 * misreports the request as missing fields.
 */
export function contentTypeMiddleware(req: Request, _res: Response, next: NextFunction): void {
  // An empty body needs no type (a bodiless POST, e.g. a revoke or rotate, often sends Content-Length: 0).
  if (req.headers['content-length'] === '0') {
    next();
    return;
  }
  // `false` means a body of another type; `null` means no body at all.
  if (req.is(ACCEPTED_BODY_TYPES) === false) {
    next(
      new ApiError(
        415,
        'unsupported_media_type',
        'Send the request body as application/json or multipart/form-data.',
      ),
    );
    return;
  }
  next();
}
