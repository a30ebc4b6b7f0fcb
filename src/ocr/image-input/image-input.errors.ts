import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../../common/errors/api-error';

/**
 * The intake's errors in one place so that the same fault always reads the same. Messages name
 * the rule a client broke and never an address, a path or a library's own error text.
 */
export const ImageInputErrors = {
  malformedSource: (detail: string) =>
    new ApiError(
      HttpStatus.BAD_REQUEST,
      'validation_failed',
      `image must be an https URL, a data: URI or base64 data: ${detail}`,
    ),
  payloadTooLarge: (maxBytes: number) =>
    new ApiError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'payload_too_large',
      `The image is larger than the ${formatBytes(maxBytes)} limit.`,
    ),
  imageTooLarge: (pixels: number, maxPixels: number) =>
    new ApiError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'image_too_large',
      `The image has ${formatMegapixels(pixels)} megapixels; the limit is ${formatMegapixels(maxPixels)}.`,
    ),
  unsupportedFormat: (name: string, documents = false) =>
    new ApiError(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'unsupported_media_type',
      `${name} images are not supported; send JPEG, PNG, WebP, TIFF or GIF${documents ? ', or a PDF' : ''}.`,
    ),
  /** A PDF where only images are taken (a batch item). */
  documentNotHere: () =>
    new ApiError(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'unsupported_media_type',
      'PDF documents are read one per request by POST /api/v1/ocr; here send JPEG, PNG, WebP, TIFF or GIF.',
    ),
  /** The `pages` field does not parse, or asks for pages the document lacks. */
  invalidPages: (detail: string) =>
    new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', `Invalid request: pages ${detail}.`),
  pagesOutOfRange: (pageCount: number, page: number) =>
    new ApiError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'invalid_document',
      `The PDF has ${pageCount} page${pageCount === 1 ? '' : 's'}; pages asks for page ${page}.`,
    ),
  tooManyPages: (pages: number, maxPages: number, selected: boolean) =>
    new ApiError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'too_many_pages',
      selected
        ? `pages selects ${pages} pages; at most ${maxPages} pages of a PDF are read per request.`
        : `The PDF has ${pages} pages; at most ${maxPages} are read per request: choose some with pages (e.g. "1-${maxPages}").`,
    ),
  /** Options that only mean something for a PDF, sent with an image. */
  documentOptionWithImage: (field: string) =>
    new ApiError(
      HttpStatus.BAD_REQUEST,
      'validation_failed',
      `Invalid request: ${field} applies to PDF documents only, and an image was sent.`,
    ),
  invalidImage: (detail: string) =>
    new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'invalid_image', `The image could not be read: ${detail}.`),
  urlNotAllowed: (detail: string) =>
    new ApiError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'url_not_allowed',
      `The image URL is not allowed: ${detail}.`,
    ),
  fetchFailed: (detail: string) =>
    new ApiError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'fetch_failed',
      `The image could not be fetched from the URL: ${detail}.`,
    ),
};

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 && Number.isInteger(mib) ? `${mib} MiB` : `${bytes}-byte`;
}

function formatMegapixels(pixels: number): string {
  return (pixels / 1_000_000).toFixed(1).replace(/\.0$/, '');
}
