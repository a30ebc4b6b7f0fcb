import type { Point } from '@app/contracts';
import { RotatedRect, rectFromAxes } from './min-area-rect';

/**
 * The offset distance of DB's "unclip": area * ratio / perimeter (Liao et al., Real-time Scene Text
 * Detection with Differentiable Binarization, eq. 10). The network predicts shrunk text kernels;
 * this grows them back to the full text extent.
 */
export function unclipDistance(width: number, height: number, ratio: number): number {
  const perimeter = 2 * (width + height);
  return perimeter > 0 ? (width * height * ratio) / perimeter : 0;
}

/**
 * Grows a rectangle by the DB unclip distance on every side. PaddleOCR offsets the box polygon with
 * round joins (pyclipper) and then takes the minimum-area rectangle again; for a rectangle input that
 * composition is exactly this: the rounded offset's tightest rectangle is the original grown by d.
 */
export function unclipRect(rect: RotatedRect, ratio: number): RotatedRect {
  const d = unclipDistance(rect.width, rect.height, ratio);
  const [tl, tr] = rect.corners;
  const ux = unit(tl, tr, [1, 0]);
  return rectFromAxes(rect.center, ux, rect.width / 2 + d, rect.height / 2 + d);
}

function unit(a: Point, b: Point, fallback: Point): Point {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  return len > 0 ? [(b[0] - a[0]) / len, (b[1] - a[1]) / len] : fallback;
}
