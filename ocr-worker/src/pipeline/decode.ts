import sharp from 'sharp';
import type { Metadata, SharpOptions } from 'sharp';
import { sniffImageFormat } from '@app/contracts';
import { WorkerError } from '../common/errors/worker-error';

/** An 8-bit RGB raster, rows top to bottom, EXIF orientation already applied. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Below this a picture cannot hold a readable line of text; such inputs are refused as invalid. */
export const MIN_IMAGE_SIDE = 8;

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
    throw new WorkerError('invalid_image', 'The image is empty.');
  }
  // The gateway already refused anything else; this keeps every other format (SVG, PDF…) away
  // from the decoder whoever sends the bytes.
  if (sniffImageFormat(bytes).kind !== 'supported') {
    throw new WorkerError(
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
    throw new WorkerError(
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
      throw new WorkerError('invalid_image', 'The image could not be decoded.');
    }
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw decodeFailure(error, maxPixels);
  }
}

function tooLarge(maxPixels: number): WorkerError {
  const megapixels = Math.floor(maxPixels / 1e5) / 10;
  return new WorkerError(
    'image_too_large',
    `The image has more pixels than allowed (${megapixels} megapixels).`,
  );
}

function decodeFailure(error: unknown, maxPixels: number): WorkerError {
  if (error instanceof WorkerError) {
    return error;
  }
  if (error instanceof Error && /pixel limit/i.test(error.message)) {
    return tooLarge(maxPixels);
  }
  return new WorkerError('invalid_image', 'The image could not be decoded: it is corrupt or truncated.');
}
