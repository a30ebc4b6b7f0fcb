import type { Point } from '@app/contracts';
import { convexHull, minAreaRect, orderCorners, quadSideLengths } from './min-area-rect';

function rotate([x, y]: Point, degrees: number, [cx, cy]: Point = [0, 0]): Point {
  const a = (degrees * Math.PI) / 180;
  return [
    cx + (x - cx) * Math.cos(a) - (y - cy) * Math.sin(a),
    cy + (x - cx) * Math.sin(a) + (y - cy) * Math.cos(a),
  ];
}

/** Every point of a w x h grid, as the pixels of a filled rectangle. */
function filledRect(w: number, h: number): Point[] {
  const points: Point[] = [];
  for (let y = 0; y <= h; y++) {
    for (let x = 0; x <= w; x++) {
      points.push([x, y]);
    }
  }
  return points;
}

describe(convexHull.name, () => {
  it('should keep only the corners of a filled rectangle', () => {
    const hull = convexHull(filledRect(4, 3));
    expect(hull).toHaveLength(4);
    expect(hull).toEqual(
      expect.arrayContaining([
        [0, 0],
        [4, 0],
        [4, 3],
        [0, 3],
      ]),
    );
  });

  it('should return fewer than three distinct points as they are', () => {
    expect(
      convexHull([
        [1, 1],
        [1, 1],
      ]),
    ).toEqual([[1, 1]]);
    expect(
      convexHull([
        [0, 0],
        [5, 5],
      ]),
    ).toEqual([
      [0, 0],
      [5, 5],
    ]);
  });
});

describe(orderCorners.name, () => {
  it('should order corners clockwise from the top-left', () => {
    expect(
      orderCorners([
        [10, 20],
        [0, 0],
        [0, 20],
        [10, 0],
      ]),
    ).toEqual([
      [0, 0],
      [10, 0],
      [10, 20],
      [0, 20],
    ]);
  });
});

describe(minAreaRect.name, () => {
  it('should fit an axis-aligned rectangle exactly', () => {
    const rect = minAreaRect(filledRect(40, 10).map(([x, y]): Point => [x + 5, y + 7]));
    expect(rect.width).toBeCloseTo(40, 9);
    expect(rect.height).toBeCloseTo(10, 9);
    expect(rect.center[0]).toBeCloseTo(25, 9);
    expect(rect.center[1]).toBeCloseTo(12, 9);
    expect(rect.corners[0][0]).toBeCloseTo(5, 9);
    expect(rect.corners[0][1]).toBeCloseTo(7, 9);
    expect(rect.corners[2][0]).toBeCloseTo(45, 9);
    expect(rect.corners[2][1]).toBeCloseTo(17, 9);
  });

  it('should recover the size and corners of a rotated rectangle', () => {
    const corners: Point[] = [
      [0, 0],
      [60, 0],
      [60, 12],
      [0, 12],
    ].map((p) => rotate(p as Point, 20, [30, 6]));
    const inside: Point[] = [
      [30, 6],
      [10, 3],
      [50, 9],
    ].map((p) => rotate(p as Point, 20, [30, 6]));
    const rect = minAreaRect([...corners, ...inside]);
    expect(rect.width * rect.height).toBeCloseTo(720, 6);
    expect(Math.max(rect.width, rect.height)).toBeCloseTo(60, 6);
    const expected = [...corners].sort((a, b) => a[0] - b[0]);
    const got = [...rect.corners].sort((a, b) => a[0] - b[0]);
    got.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(expected[i][0], 6);
      expect(p[1]).toBeCloseTo(expected[i][1], 6);
    });
  });

  it('should find the tighter rotated rectangle around a diamond rather than its bounding box', () => {
    const rect = minAreaRect([
      [0, 10],
      [10, 0],
      [20, 10],
      [10, 20],
    ]);
    expect(rect.width * rect.height).toBeCloseTo(200, 6);
    expect(rect.width).toBeCloseTo(Math.SQRT2 * 10, 6);
  });

  it('should give a zero-height rectangle for collinear points and a point for one point', () => {
    const segment = minAreaRect([
      [0, 0],
      [3, 0],
      [7, 0],
    ]);
    expect(Math.max(segment.width, segment.height)).toBeCloseTo(7, 9);
    expect(Math.min(segment.width, segment.height)).toBeCloseTo(0, 9);
    const point = minAreaRect([[4, 4]]);
    expect(point.width).toBe(0);
    expect(point.center).toEqual([4, 4]);
  });

  it('should refuse an empty point set', () => {
    expect(() => minAreaRect([])).toThrow(RangeError);
  });
});

describe(quadSideLengths.name, () => {
  it('should measure each side', () => {
    expect(
      quadSideLengths([
        [0, 0],
        [3, 4],
        [3, 14],
        [0, 10],
      ]),
    ).toEqual({ top: 5, right: 10, bottom: 5, left: 10 });
  });
});
