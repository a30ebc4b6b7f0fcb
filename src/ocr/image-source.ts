import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import type { UploadedImage } from './image-input';

/** Where a request's image is: a multipart file, or the JSON (or form) `image` string. */
export type ImageSource =
  | { readonly kind: 'upload'; readonly file: UploadedImage }
  | { readonly kind: 'inline'; readonly value: string };

/** Exactly one image per request: a file field `image`, or an `image` string (URL, data: URI, base64). */
export function imageSourceOf(
  image: string | null | undefined,
  file: UploadedImage | undefined,
): ImageSource {
  // JSON null passes the optional-field validation: it means "not given", like an absent field.
  const given = image !== undefined && image !== null;
  if (file !== undefined && given) {
    throw new ApiError(
      HttpStatus.BAD_REQUEST,
      'validation_failed',
      'Invalid request: send the image once, as the file field image or as the image string, not both.',
    );
  }
  if (file !== undefined) {
    return { kind: 'upload', file };
  }
  if (!given) {
    throw new ApiError(
      HttpStatus.BAD_REQUEST,
      'validation_failed',
      'Invalid request: image is required: a JSON string (https URL, data: URI or base64) or a multipart file field named image.',
    );
  }
  return { kind: 'inline', value: image };
}
