import { createHash } from 'node:crypto';
import sharp, { Metadata } from 'sharp';
import { DocumentBytes, ImageBytes, ImageFormat, OcrInput } from './image-bytes';
import { sniffImageFormat } from '@app/contracts';
import { ImageInputErrors } from './image-input.errors';

/** EXIF orientations that rotate by 90° or 270°, so the image is seen with its sides swapped. */
const SIDEWAYS_ORIENTATIONS = new Set([5, 6, 7, 8]);

/**
 * Turns bytes into `ImageBytes` or the contract's error: the format by magic number, then the
 * dimensions from the header alone. sharp's own pixel limit is off so that its metadata call
 * never decodes; our limit is applied to the header's numbers instead.
 */
export async function inspectImage(bytes: Buffer, maxPixels: number): Promise<ImageBytes> {
  const input = await inspectInput(bytes, maxPixels, false);
  if (input.kind !== 'image') {
    throw ImageInputErrors.documentNotHere();
  }
  return input.image;
}

/**
 * Like `inspectImage`, and with `documents` a PDF passes too (by its magic number: the worker
 * opens it, and refuses it when it is damaged or locked).
 */
export async function inspectInput(bytes: Buffer, maxPixels: number, documents: boolean): Promise<OcrInput> {
  if (bytes.length === 0) {
    throw ImageInputErrors.invalidImage('it is empty');
  }
  const sniffed = sniffImageFormat(bytes);
  if (sniffed.kind === 'unsupported') {
    throw ImageInputErrors.unsupportedFormat(sniffed.name, documents);
  }
  if (sniffed.kind === 'unknown') {
    throw ImageInputErrors.invalidImage(
      documents
        ? 'it is not a JPEG, PNG, WebP, TIFF or GIF image, nor a PDF'
        : 'it is not a JPEG, PNG, WebP, TIFF or GIF image',
    );
  }
  if (sniffed.kind === 'document') {
    if (!documents) {
      throw ImageInputErrors.documentNotHere();
    }
    const document: DocumentBytes = { bytes, format: sniffed.format, sha256: sha256(bytes) };
    return { kind: 'document', document };
  }
  return { kind: 'image', image: await inspectRaster(bytes, sniffed.format, maxPixels) };
}

async function inspectRaster(bytes: Buffer, format: ImageFormat, maxPixels: number): Promise<ImageBytes> {
  const { width, height, orientation } = await readHeader(bytes, format);
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw ImageInputErrors.imageTooLarge(pixels, maxPixels);
  }
  const sideways = orientation !== undefined && SIDEWAYS_ORIENTATIONS.has(orientation);
  return {
    bytes,
    format,
    width: sideways ? height : width,
    height: sideways ? width : height,
    sha256: sha256(bytes),
  };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Header {
  width: number;
  height: number;
  orientation?: number;
}

async function readHeader(bytes: Buffer, format: ImageFormat): Promise<Header> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    // libvips' message may quote internals; the client learns only that the header is bad.
    throw ImageInputErrors.invalidImage(`its ${format.toUpperCase()} header is damaged`);
  }
  const { width, height, orientation } = metadata;
  // A polyglot that sniffs as one format and parses as another is not something to pass on.
  if (metadata.format !== format || !(width > 0) || !(height > 0)) {
    throw ImageInputErrors.invalidImage(`its ${format.toUpperCase()} header is damaged`);
  }
  return { width, height, orientation };
}
