import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import type { Observable } from 'rxjs';
import { ApiError } from '../../common/errors/api-error';
import { AppConfig } from '../../config';

/** The file field of `POST /api/v1/ocr`. */
export const IMAGE_FIELD = 'image';
/** `mode` and `prompt` are the only text fields; a little room for clients that add their own. */
const MAX_FIELDS = 8;
/** Large enough for a 2000-character prompt or an image URL; nothing else belongs in a text field. */
export const MAX_FIELD_BYTES = 16 * 1024;

/**
 * Reads a multipart/form-data body into memory within fixed bounds: one file (field `image`) of at
 * most MAX_BODY_BYTES, a few small text fields. Multer stops reading at the first bound crossed,
 * so an oversized upload is refused before it is buffered. Other bodies pass through untouched.
 * Runs after the guards: nothing is parsed for an unauthenticated or rate-limited request.
 */
@Injectable()
export class ImageUploadInterceptor implements NestInterceptor {
  private readonly parse: RequestHandler;
  private readonly maxBytes: number;

  constructor(config: AppConfig) {
    this.maxBytes = config.http.maxBodyBytes;
    this.parse = multer({
      storage: multer.memoryStorage(),
      limits: {
        fileSize: this.maxBytes,
        files: 1,
        fields: MAX_FIELDS,
        fieldSize: MAX_FIELD_BYTES,
        parts: MAX_FIELDS + 1,
        headerPairs: 100,
      },
    }).single(IMAGE_FIELD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    await new Promise<void>((resolve, reject) => {
      void this.parse(request, response, (error?: unknown) => {
        if (error === undefined) {
          resolve();
        } else {
          reject(uploadError(error, this.maxBytes));
        }
      });
    });
    return next.handle();
  }
}

/** Multer's and busboy's failures in the contract's terms, worded for the client. */
export function uploadError(error: unknown, maxBytes: number): ApiError {
  if (!(error instanceof MulterError)) {
    return invalid('the multipart/form-data body is malformed');
  }
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return new ApiError(
        HttpStatus.PAYLOAD_TOO_LARGE,
        'payload_too_large',
        `The image is larger than the limit of ${maxBytes} bytes.`,
      );
    case 'LIMIT_FILE_COUNT':
      return invalid('send one file per request (use POST /api/v1/ocr/batch for several images)');
    case 'LIMIT_UNEXPECTED_FILE':
      return invalid(`send the file in the field ${IMAGE_FIELD}`);
    case 'LIMIT_FIELD_VALUE':
      return invalid(`a form field is longer than ${MAX_FIELD_BYTES} bytes`);
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return invalid(`the form has more than ${MAX_FIELDS} fields`);
    default:
      return invalid('the multipart/form-data body is malformed');
  }
}

function invalid(detail: string): ApiError {
  return new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', `Invalid request: ${detail}.`);
}
