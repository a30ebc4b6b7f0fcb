import type { DocumentFormat, ImageFormat } from '@app/contracts';

export { IMAGE_FORMATS, type ImageFormat } from '@app/contracts';

/** Validated image bytes, ready for the worker and the results cache. */
export interface ImageBytes {
  readonly bytes: Buffer;
  /** Sniffed from the bytes; a declared type is never trusted. */
  readonly format: ImageFormat;
  /** As the image will be seen: EXIF orientations 5-8 swap width and height. */
  readonly width: number;
  readonly height: number;
  /** Hex SHA-256 of `bytes`: the results cache key. */
  readonly sha256: string;
}

/** A PDF as sent: only its magic number is checked here, the worker opens it (and refuses it). */
export interface DocumentBytes {
  readonly bytes: Buffer;
  readonly format: DocumentFormat;
  readonly sha256: string;
}

/** What `POST /api/v1/ocr` takes: an image, or a document of pages. */
export type OcrInput =
  | { readonly kind: 'image'; readonly image: ImageBytes }
  | { readonly kind: 'document'; readonly document: DocumentBytes };
