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
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8]: Homography = rectToQuad(outWidth, outHeight, quad);
  const sides = quadSideLengths(quad);
  const kx = supersampling(Math.max(sides.top, sides.bottom) / outWidth);
  const ky = supersampling(Math.max(sides.left, sides.right) / outHeight);
  const n = kx * ky;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const { data, width, height } = image;
  const maxX = width - 1;
  const maxY = height - 1;
  // This loop runs for every sample of every line, so it stays free of allocations and calls.
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < ky; sy++) {
        const v = oy + (sy + 0.5) / ky;
        for (let sx = 0; sx < kx; sx++) {
          const u = ox + (sx + 0.5) / kx;
          // Output pixel centres map through the homography; the -0.5 returns to source pixel indices.
          const w = m6 * u + m7 * v + m8;
          const fx = (m0 * u + m1 * v + m2) / w - 0.5;
          const fy = (m3 * u + m4 * v + m5) / w - 0.5;
          const x = fx < 0 ? 0 : fx > maxX ? maxX : fx;
          const y = fy < 0 ? 0 : fy > maxY ? maxY : fy;
          const x0 = x | 0;
          const y0 = y | 0;
          const dx = x0 < maxX ? 3 : 0;
          const dy = y0 < maxY ? width * 3 : 0;
          const ax = x - x0;
          const ay = y - y0;
          const i = (y0 * width + x0) * 3;
          const w00 = (1 - ax) * (1 - ay);
          const w01 = ax * (1 - ay);
          const w10 = (1 - ax) * ay;
          const w11 = ax * ay;
          r += data[i] * w00 + data[i + dx] * w01 + data[i + dy] * w10 + data[i + dy + dx] * w11;
          g +=
            data[i + 1] * w00 + data[i + dx + 1] * w01 + data[i + dy + 1] * w10 + data[i + dy + dx + 1] * w11;
          b +=
            data[i + 2] * w00 + data[i + dx + 2] * w01 + data[i + dy + 2] * w10 + data[i + dy + dx + 2] * w11;
        }
      }
      const o = (oy * outWidth + ox) * 3;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/** How a line's quad becomes its crop: the quad's corners in the crop's order and the crop's size. */
export interface LineCropGeometry {
  /** The quad, starting from the corner that becomes the crop's top left. */
  source: Quad;
  width: number;
  height: number;
  /** True when the crop was turned 90° (a vertical line). */
  tall: boolean;
}

/**
 * Where the text line inside `quad` goes: straightened and scaled to `targetHeight` (the
 * recognizer's input height) at its own aspect ratio. A crop at least 1.5x taller than wide is
 * turned 90° counter-clockwise first, as PaddleOCR's get_rotate_crop_image does for vertical lines.
 */
export function lineCropGeometry(quad: Quad, targetHeight: number): LineCropGeometry {
  const sides = quadSideLengths(quad);
  let width = Math.max(sides.top, sides.bottom);
  let height = Math.max(sides.left, sides.right);
  const tall = height >= width * TALL_CROP_RATIO;
  if (tall) {
    [width, height] = [height, width];
  }
  const outWidth = Math.max(1, Math.ceil((targetHeight * width) / Math.max(height, 1)));
  return {
    source: tall ? [quad[1], quad[2], quad[3], quad[0]] : quad,
    width: outWidth,
    height: targetHeight,
    tall,
  };
}

/** The text line inside `quad` as the recognizer reads it (see lineCropGeometry). */
export function cropTextLine(image: RgbImage, quad: Quad, targetHeight: number): RgbImage {
  const { source, width, height } = lineCropGeometry(quad, targetHeight);
  return warpQuad(image, source, width, height);
}

/**
 * The part of a line's quad that crop columns [from, to) show: the inverse of the crop's warp,
 * so its corners lie on the quad's top and bottom edges. Corners come in the order of the line's
 * own quad.
 */
export function cropSpanToQuad(geometry: LineCropGeometry, from: number, to: number): Quad {
  const { source, width, height, tall } = geometry;
  const map = rectToQuad(width, height, source);
  const a = applyHomography(map, from, 0);
  const b = applyHomography(map, to, 0);
  const c = applyHomography(map, to, height);
  const d = applyHomography(map, from, height);
  // A turned crop starts at the quad's second corner; give the corners back in the quad's order.
  return tall ? [d, a, b, c] : [a, b, c, d];
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
