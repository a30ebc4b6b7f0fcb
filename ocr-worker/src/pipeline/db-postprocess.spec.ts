import { DB_DEFAULTS, boxesFromProbabilityMap, meanInsideQuad } from './db-postprocess';
import type { ProbabilityMap } from './detect';
import { unclipDistance } from './geometry/unclip';

function mapWith(
  width: number,
  height: number,
  blobs: Array<{ x0: number; y0: number; x1: number; y1: number; p: number }>,
): ProbabilityMap {
  const data = new Float32Array(width * height).fill(0.02);
  for (const { x0, y0, x1, y1, p } of blobs) {
    for (let y = y0; y <= y1; y++) {
      data.fill(p, y * width + x0, y * width + x1 + 1);
    }
  }
  return { data, width, height };
}

describe(meanInsideQuad.name, () => {
  it('should average the pixels whose centres the quad covers', () => {
    const map = mapWith(20, 20, [{ x0: 5, y0: 5, x1: 9, y1: 9, p: 1 }]);
    expect(
      meanInsideQuad(map, [
        [5, 5],
        [9, 5],
        [9, 9],
        [5, 9],
      ]),
    ).toBeCloseTo(1, 6);
    expect(
      meanInsideQuad(map, [
        [5, 5],
        [14, 5],
        [14, 9],
        [5, 9],
      ]),
    ).toBeCloseTo((25 + 25 * 0.02) / 50, 6);
  });
});

describe(boxesFromProbabilityMap.name, () => {
  it('should grow a text kernel by the unclip distance and scale it to the image', () => {
    // Kernel pixel centres span x 10..49 and y 20..29: a 39 x 9 rectangle in map pixels.
    const map = mapWith(64, 64, [{ x0: 10, y0: 20, x1: 49, y1: 29, p: 0.9 }]);
    const [box, ...rest] = boxesFromProbabilityMap(map, 128, 256);
    expect(rest).toHaveLength(0);
    expect(box.score).toBeCloseTo(0.9, 5);
    const d = unclipDistance(39, 9, DB_DEFAULTS.unclipRatio);
    expect(box.quad).toEqual([
      [Math.round((10 - d) * 2), Math.round((20 - d) * 4)],
      [Math.round((49 + d) * 2), Math.round((20 - d) * 4)],
      [Math.round((49 + d) * 2), Math.round((29 + d) * 4)],
      [Math.round((10 - d) * 2), Math.round((29 + d) * 4)],
    ]);
  });

  it('should drop regions below the box threshold, too thin, or the size of noise', () => {
    const map = mapWith(64, 64, [
      { x0: 2, y0: 2, x1: 30, y1: 8, p: 0.4 }, // above the binarisation threshold, below the box threshold
      { x0: 2, y0: 20, x1: 40, y1: 21, p: 0.9 }, // a 1-pixel-tall sliver
      { x0: 50, y0: 50, x1: 51, y1: 51, p: 0.95 }, // a speck
      { x0: 5, y0: 40, x1: 40, y1: 47, p: 0.8 },
    ]);
    const boxes = boxesFromProbabilityMap(map, 64, 64);
    expect(boxes).toHaveLength(1);
    expect(boxes[0].score).toBeCloseTo(0.8, 5);
  });

  it('should keep the tilt of a slanted line', () => {
    const width = 100;
    const data = new Float32Array(width * 60);
    for (let x = 10; x < 90; x++) {
      const yc = 20 + (x - 10) * 0.25;
      for (let y = Math.round(yc - 4); y <= Math.round(yc + 4); y++) {
        data[y * width + x] = 0.9;
      }
    }
    const [box] = boxesFromProbabilityMap({ data, width, height: 60 }, 100, 60);
    const [tl, tr] = box.quad;
    expect((tr[1] - tl[1]) / (tr[0] - tl[0])).toBeCloseTo(0.25, 1);
  });

  it('should clamp boxes to the image', () => {
    const map = mapWith(32, 32, [{ x0: 0, y0: 0, x1: 20, y1: 6, p: 0.9 }]);
    const [box] = boxesFromProbabilityMap(map, 32, 32);
    for (const [x, y] of box.quad) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(32);
      expect(y).toBeLessThanOrEqual(32);
    }
  });
});
