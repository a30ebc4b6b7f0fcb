import sharp from 'sharp';
import type { Metadata, SharpOptions } from 'sharp';
import { OcrError } from './ocr-error';

/** An 8-bit RGB raster, rows top to bottom, EXIF orientation already applied. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif';

/** Below this a picture cannot hold a readable line of text; such inputs are refused as invalid. */
export const MIN_IMAGE_SIDE = 8;

/** Identifies the accepted formats from their signatures, never from a declared type or name. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) {
    return 'jpeg';
  }
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) {
    return 'png';
  }
  if (
    starts(0x52, 0x49, 0x46, 0x46) &&
    bytes[8] === 0x57 &&
    bytes[9] === 0x45 &&
    bytes[10] === 0x42 &&
    bytes[11] === 0x50
  ) {
    return 'webp';
  }
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) {
    return 'tiff';
  }
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) {
    return 'gif';
  }
  return undefined;
}

/** Header dimensions after EXIF orientation (orientations 5-8 swap the axes). */
function orientedSize(meta: Metadata): { width: number; height: number } {
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  return (meta.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };
}

/**
 * Decodes the first frame of a JPEG, PNG, WebP, TIFF or GIF into RGB: EXIF orientation applied,
 * transparency flattened onto white (dark text on a transparent background stays readable),
 * greyscale, CMYK and 16-bit inputs converted. The pixel limit is checked on the header, before
 * any pixel is decoded, so a decompression bomb costs nothing.
 */
export async function decodeImage(bytes: Uint8Array, maxPixels: number): Promise<RgbImage> {
  if (bytes.length === 0) {
    throw new OcrError('invalid_image', 'The image is empty.');
  }
  if (!sniffImageFormat(bytes)) {
    throw new OcrError(
      'unsupported_media_type',
      'The image format is not supported: send JPEG, PNG, WebP, TIFF or GIF.',
    );
  }
  const options: SharpOptions = { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1 };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, options).metadata();
  } catch (error) {
    throw decodeFailure(error, maxPixels);
  }
  const { width, height } = orientedSize(meta);
  if (width * height > maxPixels) {
    throw tooLarge(maxPixels);
  }
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE) {
    throw new OcrError(
      'invalid_image',
      `The image is too small to contain text (at least ${MIN_IMAGE_SIDE}x${MIN_IMAGE_SIDE} pixels).`,
    );
  }
  try {
    const { data, info } = await sharp(bytes, options)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new OcrError('invalid_image', 'The image could not be decoded.');
    }
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw decodeFailure(error, maxPixels);
  }
}

function tooLarge(maxPixels: number): OcrError {
  const megapixels = Math.floor(maxPixels / 1e5) / 10;
  return new OcrError(
    'image_too_large',
    `The image has more pixels than allowed (${megapixels} megapixels).`,
  );
}

function decodeFailure(error: unknown, maxPixels: number): OcrError {
  if (error instanceof OcrError) {
    return error;
  }
  if (error instanceof Error && /pixel limit/i.test(error.message)) {
    return tooLarge(maxPixels);
  }
  return new OcrError('invalid_image', 'The image could not be decoded: it is corrupt or truncated.');
}
