import type { Quad } from '@app/contracts';
import type { RgbImage } from './decode';
import { Homography, applyHomography, rectToQuad } from './geometry/perspective';
import { quadSideLengths } from './geometry/min-area-rect';

/** PaddleOCR turns a crop 90° when it is at least this much taller than wide (a vertical line). */
export const TALL_CROP_RATIO = 1.5;

/** Supersampling caps here: beyond it the extra samples cost time and change nothing visible. */
const MAX_SUPERSAMPLE = 4;

function supersampling(shrink: number): number {
  return Math.min(MAX_SUPERSAMPLE, Math.max(1, Math.floor(shrink)));
}

/**
 * Samples `image` over `quad` into an `outWidth` x `outHeight` raster with a perspective warp:
 * bilinear, edges replicated (as OpenCV's BORDER_REPLICATE), and box-filtered over k samples
 * along each axis that shrinks by k or more, so thin strokes do not alias away.
 */
export function warpQuad(image: RgbImage, quad: Quad, outWidth: number, outHeight: number): RgbImage {
  const m: Homography = rectToQuad(outWidth, outHeight, quad);
  const sides = quadSideLengths(quad);
  const kx = supersampling(Math.max(sides.top, sides.bottom) / outWidth);
  const ky = supersampling(Math.max(sides.left, sides.right) / outHeight);
  const n = kx * ky;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const { data, width, height } = image;
  const maxX = width - 1;
  const maxY = height - 1;
  const acc = [0, 0, 0];
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sy = 0; sy < ky; sy++) {
        for (let sx = 0; sx < kx; sx++) {
          // Output pixel centres map through the homography; the -0.5 returns to source pixel indices.
          const [fx, fy] = applyHomography(m, ox + (sx + 0.5) / kx, oy + (sy + 0.5) / ky);
          const x = Math.min(Math.max(fx - 0.5, 0), maxX);
          const y = Math.min(Math.max(fy - 0.5, 0), maxY);
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const x1 = Math.min(x0 + 1, maxX);
          const y1 = Math.min(y0 + 1, maxY);
          const ax = x - x0;
          const ay = y - y0;
          const i00 = (y0 * width + x0) * 3;
          const i01 = (y0 * width + x1) * 3;
          const i10 = (y1 * width + x0) * 3;
          const i11 = (y1 * width + x1) * 3;
          for (let c = 0; c < 3; c++) {
            const top = data[i00 + c] + (data[i01 + c] - data[i00 + c]) * ax;
            const bottom = data[i10 + c] + (data[i11 + c] - data[i10 + c]) * ax;
            acc[c] += top + (bottom - top) * ay;
          }
        }
      }
      const o = (oy * outWidth + ox) * 3;
      out[o] = Math.round(acc[0] / n);
      out[o + 1] = Math.round(acc[1] / n);
      out[o + 2] = Math.round(acc[2] / n);
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/**
 * The text line inside `quad`, straightened and scaled to `targetHeight` (the recognizer's input
 * height) at its own aspect ratio. A crop at least 1.5x taller than wide is turned 90°
 * counter-clockwise first, as PaddleOCR's get_rotate_crop_image does for vertical lines.
 */
export function cropTextLine(image: RgbImage, quad: Quad, targetHeight: number): RgbImage {
  const sides = quadSideLengths(quad);
  let width = Math.max(sides.top, sides.bottom);
  let height = Math.max(sides.left, sides.right);
  let source = quad;
  if (height >= width * TALL_CROP_RATIO) {
    source = [quad[1], quad[2], quad[3], quad[0]];
    [width, height] = [height, width];
  }
  const outWidth = Math.max(1, Math.ceil((targetHeight * width) / Math.max(height, 1)));
  return warpQuad(image, source, outWidth, targetHeight);
}

/** Turns a raster 180° (an upside-down line found by the angle classifier). */
export function rotate180(image: RgbImage): RgbImage {
  const { data, width, height } = image;
  const out = new Uint8Array(data.length);
  const pixels = width * height;
  for (let i = 0; i < pixels; i++) {
    const s = i * 3;
    const d = (pixels - 1 - i) * 3;
    out[d] = data[s];
    out[d + 1] = data[s + 1];
    out[d + 2] = data[s + 2];
  }
  return { data: out, width, height };
}

/** Rescales a raster horizontally (height kept), as the angle classifier's fixed-width input needs. */
export function resizeWidth(image: RgbImage, width: number): RgbImage {
  if (width === image.width) {
    return image;
  }
  const { width: w, height: h } = image;
  return warpQuad(
    image,
    [
      [0, 0],
      [w, 0],
      [w, h],
      [0, h],
    ],
    width,
    h,
  );
}
