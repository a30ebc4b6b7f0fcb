import type { Point, Quad } from '@app/contracts';

/** A 3x3 projective transform, row-major, with h[8] normalised to 1 where possible. */
export type Homography = readonly [number, number, number, number, number, number, number, number, number];

/**
 * The projective map from the rectangle [0,w]x[0,h] onto `quad` (corners clockwise from the one
 * (0,0) goes to), in closed form (Heckbert, Fundamentals of Texture Mapping, 1989, square-to-quad).
 * Warping samples the source at this map of every output pixel.
 */
export function rectToQuad(width: number, height: number, quad: Quad): Homography {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = quad;
  const sx = x0 - x1 + x2 - x3;
  const sy = y0 - y1 + y2 - y3;
  let a: number, b: number, d: number, e: number, g: number, h: number;
  if (Math.abs(sx) < 1e-12 && Math.abs(sy) < 1e-12) {
    a = x1 - x0;
    b = x3 - x0;
    d = y1 - y0;
    e = y3 - y0;
    g = 0;
    h = 0;
  } else {
    const dx1 = x1 - x2;
    const dx2 = x3 - x2;
    const dy1 = y1 - y2;
    const dy2 = y3 - y2;
    const det = dx1 * dy2 - dx2 * dy1;
    g = (sx * dy2 - dx2 * sy) / det;
    h = (dx1 * sy - sx * dy1) / det;
    a = x1 - x0 + g * x1;
    b = x3 - x0 + h * x3;
    d = y1 - y0 + g * y1;
    e = y3 - y0 + h * y3;
  }
  // Compose with the scaling (u, v) = (x / width, y / height) of the output rectangle.
  return [a / width, b / height, x0, d / width, e / height, y0, g / width, h / height, 1];
}

export function applyHomography(m: Homography, x: number, y: number): Point {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}
