import type { Point } from '@app/contracts';
import { minAreaRect } from './min-area-rect';
import { unclipDistance, unclipRect } from './unclip';

/** The round-joined outward offset of a convex polygon by d, sampled densely (what pyclipper builds). */
function roundOffset(polygon: Point[], d: number): Point[] {
  const out: Point[] = [];
  for (const [x, y] of polygon) {
    for (let a = 0; a < 360; a += 1) {
      out.push([x + d * Math.cos((a * Math.PI) / 180), y + d * Math.sin((a * Math.PI) / 180)]);
    }
  }
  return out;
}

describe(unclipDistance.name, () => {
  it('should be area times ratio over perimeter', () => {
    expect(unclipDistance(100, 20, 1.5)).toBeCloseTo((100 * 20 * 1.5) / 240, 12);
    expect(unclipDistance(0, 0, 1.5)).toBe(0);
  });
});

describe(unclipRect.name, () => {
  it('should grow an axis-aligned rectangle by the distance on every side', () => {
    const rect = minAreaRect([
      [10, 10],
      [110, 10],
      [110, 30],
      [10, 30],
    ]);
    const d = unclipDistance(100, 20, 1.5);
    const grown = unclipRect(rect, 1.5);
    expect(grown.width).toBeCloseTo(100 + 2 * d, 9);
    expect(grown.height).toBeCloseTo(20 + 2 * d, 9);
    expect(grown.corners[0][0]).toBeCloseTo(10 - d, 9);
    expect(grown.corners[0][1]).toBeCloseTo(10 - d, 9);
    expect(grown.corners[2][0]).toBeCloseTo(110 + d, 9);
    expect(grown.corners[2][1]).toBeCloseTo(30 + d, 9);
  });

  it('should equal the minimum-area rectangle of the round-joined offset polygon, also when rotated', () => {
    const a = (25 * Math.PI) / 180;
    const corners: Point[] = (
      [
        [0, 0],
        [80, 0],
        [80, 16],
        [0, 16],
      ] as Point[]
    ).map(([x, y]) => [200 + x * Math.cos(a) - y * Math.sin(a), 100 + x * Math.sin(a) + y * Math.cos(a)]);
    const rect = minAreaRect(corners);
    const d = unclipDistance(rect.width, rect.height, 1.5);
    const reference = minAreaRect(roundOffset(corners, d));
    const grown = unclipRect(rect, 1.5);
    expect(grown.width * grown.height).toBeCloseTo(reference.width * reference.height, 0);
    expect(grown.center[0]).toBeCloseTo(reference.center[0], 3);
    expect(grown.center[1]).toBeCloseTo(reference.center[1], 3);
    expect(Math.max(grown.width, grown.height)).toBeCloseTo(Math.max(reference.width, reference.height), 1);
  });

  it('should keep the orientation of a vertical line', () => {
    const rect = minAreaRect([
      [50, 0],
      [60, 0],
      [60, 100],
      [50, 100],
    ]);
    const grown = unclipRect(rect, 2);
    const d = unclipDistance(10, 100, 2);
    const xs = grown.corners.map((p) => p[0]);
    const ys = grown.corners.map((p) => p[1]);
    expect(Math.min(...xs)).toBeCloseTo(50 - d, 9);
    expect(Math.max(...xs)).toBeCloseTo(60 + d, 9);
    expect(Math.min(...ys)).toBeCloseTo(-d, 9);
    expect(Math.max(...ys)).toBeCloseTo(100 + d, 9);
  });
});
