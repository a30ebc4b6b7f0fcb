import type { Point, Quad } from '@app/contracts';
import type { RgbImage } from './decode';

/** Clockwise degrees that turn the image as sent upright. */
export type PageTurn = 0 | 90 | 180 | 270;

/**
 * A box this much taller than wide reads as a line on its side (the crop's own threshold for a
 * vertical line); squarer boxes (a short word, a digit) say nothing about the page.
 */
export const SIDEWAYS_RATIO = 1.5;

/**
 * Whether the page lies on its side: more of its text boxes stand tall than lie wide. Decided on
 * the boxes of the detection already run, so an upright page pays nothing for the check.
 */
export function looksSideways(quads: readonly Quad[]): boolean {
  let tall = 0;
  let wide = 0;
  for (const quad of quads) {
    const xs = quad.map((p) => p[0]);
    const ys = quad.map((p) => p[1]);
    const width = Math.max(...xs) - Math.min(...xs);
    const height = Math.max(...ys) - Math.min(...ys);
    if (height >= width * SIDEWAYS_RATIO) {
      tall++;
    } else if (width >= height * SIDEWAYS_RATIO) {
      wide++;
    }
  }
  return tall > wide;
}

/** Most lines flagged upside down by the angle classifier: the page itself is. */
export function mostlyUpsideDown(suspects: readonly boolean[]): boolean {
  return suspects.filter(Boolean).length * 2 > suspects.length;
}

/** The raster turned `turn` degrees clockwise (90 and 270 swap its sides). */
export function turnImage(image: RgbImage, turn: PageTurn): RgbImage {
  const { data, width, height } = image;
  if (turn === 0) {
    return image;
  }
  const swapped = turn !== 180;
  const outWidth = swapped ? height : width;
  const outHeight = swapped ? width : height;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      // The source pixel of (x, y), by the inverse of the turn.
      let sx: number;
      let sy: number;
      if (turn === 90) {
        sx = y;
        sy = height - 1 - x;
      } else if (turn === 180) {
        sx = width - 1 - x;
        sy = height - 1 - y;
      } else {
        sx = width - 1 - y;
        sy = x;
      }
      const s = (sy * width + sx) * 3;
      const d = (y * outWidth + x) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/**
 * A point of the image turned `turn` degrees clockwise, in the coordinates of the image before
 * the turn (`sent`, width x height). Coordinates are continuous (pixel edges), so the corners of
 * the turned image land exactly on those of the original.
 */
export function pointToSent([x, y]: Point, turn: PageTurn, sent: { width: number; height: number }): Point {
  switch (turn) {
    case 0:
      return [x, y];
    case 90:
      return [y, sent.height - x];
    case 180:
      return [sent.width - x, sent.height - y];
    case 270:
      return [sent.width - y, x];
  }
}

/**
 * A quad of the turned image in the coordinates of the image as sent. The corners are taken in
 * the same cyclic order (a turn keeps clockwise clockwise) but start again from the one now at the
 * top-left, as the detector gives boxes; word boxes, mapped the same way, keep following their
 * line's corners.
 */
export function quadToSent(quad: Quad, turn: PageTurn, sent: { width: number; height: number }): Quad {
  const mapped = quad.map((p) => pointToSent(p, turn, sent));
  const shift = turn / 90;
  return [0, 1, 2, 3].map((i) => mapped[(i + shift) % 4]) as Quad;
}
