import type { Point, Quad } from '@app/contracts';

/** A rotated rectangle: `corners` run clockwise (in image coordinates, y down) from the top-left. */
export interface RotatedRect {
  center: Point;
  /** Length of the side from corners[0] to corners[1]. */
  width: number;
  /** Length of the side from corners[1] to corners[2]. */
  height: number;
  corners: Quad;
}

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Andrew's monotone chain; collinear points are dropped. Returns the hull counter-clockwise in y-up terms. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const unique = sorted.filter((p, i) => i === 0 || p[0] !== sorted[i - 1][0] || p[1] !== sorted[i - 1][1]);
  if (unique.length < 3) {
    return unique;
  }
  const lower: Point[] = [];
  for (const p of unique) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) {
      lower.pop();
    }
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = unique.length - 1; i >= 0; i--) {
    const p = unique[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) {
      upper.pop();
    }
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * Orders four corners the way PaddleOCR's `get_mini_boxes` does: the two leftmost points give the
 * top-left and bottom-left (by y), the two rightmost the top-right and bottom-right.
 */
export function orderCorners(points: readonly Point[]): Quad {
  const byX = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const [tl, bl] = byX[0][1] <= byX[1][1] ? [byX[0], byX[1]] : [byX[1], byX[0]];
  const [tr, br] = byX[2][1] <= byX[3][1] ? [byX[2], byX[3]] : [byX[3], byX[2]];
  return [tl, tr, br, bl];
}

/** Builds the rectangle centred at `center` with half-extents along the unit axis `ux` and its normal. */
export function rectFromAxes(center: Point, ux: Point, halfW: number, halfH: number): RotatedRect {
  const uy: Point = [-ux[1], ux[0]];
  const corner = (sw: number, sh: number): Point => [
    center[0] + ux[0] * halfW * sw + uy[0] * halfH * sh,
    center[1] + ux[1] * halfW * sw + uy[1] * halfH * sh,
  ];
  const corners = orderCorners([corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)]);
  return {
    center,
    width: Math.hypot(corners[1][0] - corners[0][0], corners[1][1] - corners[0][1]),
    height: Math.hypot(corners[2][0] - corners[1][0], corners[2][1] - corners[1][1]),
    corners,
  };
}

/**
 * The minimum-area enclosing rectangle (as OpenCV's `minAreaRect`): one side of the optimum lies
 * on a hull edge, so trying every hull edge direction is exact. Degenerate inputs (one point, a
 * segment) give a zero-height rectangle.
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  if (points.length === 0) {
    throw new RangeError('minAreaRect needs at least one point');
  }
  const hull = convexHull(points);
  if (hull.length === 1) {
    return rectFromAxes(hull[0], [1, 0], 0, 0);
  }
  let best: { area: number; ux: Point; minU: number; maxU: number; minV: number; maxV: number } | undefined;
  const edges = hull.length === 2 ? 1 : hull.length;
  for (let i = 0; i < edges; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const ux: Point = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux[0] + p[1] * ux[1];
      const v = -p[0] * ux[1] + p[1] * ux[0];
      minU = Math.min(minU, u);
      maxU = Math.max(maxU, u);
      minV = Math.min(minV, v);
      maxV = Math.max(maxV, v);
    }
    const area = (maxU - minU) * (maxV - minV);
    if (!best || area < best.area - 1e-9) {
      best = { area, ux, minU, maxU, minV, maxV };
    }
  }
  const { ux, minU, maxU, minV, maxV } = best!;
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  const center: Point = [cu * ux[0] - cv * ux[1], cu * ux[1] + cv * ux[0]];
  return rectFromAxes(center, ux, (maxU - minU) / 2, (maxV - minV) / 2);
}

export function quadSideLengths(quad: Quad): { top: number; right: number; bottom: number; left: number } {
  const d = (a: Point, b: Point): number => Math.hypot(b[0] - a[0], b[1] - a[1]);
  return {
    top: d(quad[0], quad[1]),
    right: d(quad[1], quad[2]),
    bottom: d(quad[3], quad[2]),
    left: d(quad[0], quad[3]),
  };
}
