import type { Point, Quad } from '@app/contracts';
import { connectedComponents } from './geometry/components';
import { minAreaRect } from './geometry/min-area-rect';
import { unclipRect } from './geometry/unclip';
import type { ProbabilityMap } from './detect';

/** DB post-processing settings (PaddleOCR's det_db_thresh, det_db_box_thresh, det_db_unclip_ratio, max_candidates). */
export interface DbOptions {
  threshold: number;
  boxThreshold: number;
  unclipRatio: number;
  maxCandidates: number;
  /** Boxes whose short side is below this (in map pixels) are noise. */
  minSize: number;
}

/**
 * PaddleOCR's published defaults, except the box threshold: 0.5 (RapidOCR's default) instead of
 * 0.6 keeps typed text that sits on a form's underline, whose kernel scores lower; on the
 * receipts and forms measured it lost no precision (recognition confidence filters the rest).
 */
export const DB_DEFAULTS: DbOptions = {
  threshold: 0.3,
  boxThreshold: 0.5,
  unclipRatio: 1.5,
  maxCandidates: 1000,
  minSize: 3,
};

export interface TextBox {
  /** Clockwise from the top-left, in the pixel coordinates of the original image. */
  quad: Quad;
  /** Mean text probability inside the detected kernel. */
  score: number;
}

/**
 * Mean probability inside a convex quad, over the pixels whose centres it covers (PaddleOCR's
 * `box_score_fast` fills the polygon with OpenCV; a convex quad allows a per-row span instead).
 */
export function meanInsideQuad(map: ProbabilityMap, quad: Quad): number {
  const ys = quad.map((p) => p[1]);
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const y1 = Math.min(map.height - 1, Math.ceil(Math.max(...ys)));
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    let left = Infinity;
    let right = -Infinity;
    for (let i = 0; i < 4; i++) {
      const [ax, ay] = quad[i];
      const [bx, by] = quad[(i + 1) % 4];
      if ((ay <= y && by >= y) || (by <= y && ay >= y)) {
        if (ay === by) {
          left = Math.min(left, ax, bx);
          right = Math.max(right, ax, bx);
        } else {
          const x = ax + ((y - ay) * (bx - ax)) / (by - ay);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    const x0 = Math.max(0, Math.ceil(left - 0.5));
    const x1 = Math.min(map.width - 1, Math.floor(right + 0.5));
    const row = y * map.width;
    for (let x = x0; x <= x1; x++) {
      sum += map.data[row + x];
      count++;
    }
  }
  return count > 0 ? sum / count : 0;
}

/**
 * DB post-processing (Liao et al. 2020, as PaddleOCR's DBPostProcess in `fast` score mode):
 * binarise the map, take each connected region, fit its minimum-area rectangle, keep it when its
 * mean probability reaches the box threshold, grow it by the unclip distance, and scale it to the
 * original image. Regions come back in raster order of their first pixel.
 */
export function boxesFromProbabilityMap(
  map: ProbabilityMap,
  imageWidth: number,
  imageHeight: number,
  options: DbOptions = DB_DEFAULTS,
): TextBox[] {
  const bitmap = new Uint8Array(map.data.length);
  for (let i = 0; i < bitmap.length; i++) {
    bitmap[i] = map.data[i] > options.threshold ? 1 : 0;
  }
  const scaleX = imageWidth / map.width;
  const scaleY = imageHeight / map.height;
  const boxes: TextBox[] = [];
  for (const component of connectedComponents(bitmap, map.width, map.height, options.maxCandidates)) {
    const kernel = minAreaRect(component.extremes);
    if (Math.min(kernel.width, kernel.height) < options.minSize) {
      continue;
    }
    const score = meanInsideQuad(map, kernel.corners);
    if (score < options.boxThreshold) {
      continue;
    }
    const grown = unclipRect(kernel, options.unclipRatio);
    if (Math.min(grown.width, grown.height) < options.minSize + 2) {
      continue;
    }
    const toImage = ([x, y]: Point): Point => [
      clamp(Math.round(x * scaleX), 0, imageWidth),
      clamp(Math.round(y * scaleY), 0, imageHeight),
    ];
    const quad = grown.corners.map(toImage) as Quad;
    if (sideTooShort(quad)) {
      continue;
    }
    boxes.push({ quad, score });
  }
  return boxes;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** PaddleOCR's filter_tag_det_res drops boxes 3 pixels or less across after mapping. */
function sideTooShort(quad: Quad): boolean {
  const width = Math.hypot(quad[1][0] - quad[0][0], quad[1][1] - quad[0][1]);
  const height = Math.hypot(quad[3][0] - quad[0][0], quad[3][1] - quad[0][1]);
  return width <= 3 || height <= 3;
}
