import type { Quad } from '@app/contracts';
import { applyHomography, rectToQuad } from './perspective';

describe(rectToQuad.name, () => {
  it('should map the rectangle corners onto a projective quad', () => {
    const quad: Quad = [
      [10, 20],
      [110, 5],
      [130, 70],
      [0, 60],
    ];
    const m = rectToQuad(200, 50, quad);
    const corners = [
      applyHomography(m, 0, 0),
      applyHomography(m, 200, 0),
      applyHomography(m, 200, 50),
      applyHomography(m, 0, 50),
    ];
    corners.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(quad[i][0], 9);
      expect(p[1]).toBeCloseTo(quad[i][1], 9);
    });
  });

  it('should be affine for a parallelogram, mapping the centre to the centre', () => {
    const quad: Quad = [
      [0, 0],
      [40, 10],
      [50, 30],
      [10, 20],
    ];
    const m = rectToQuad(8, 4, quad);
    expect(m[6]).toBe(0);
    expect(m[7]).toBe(0);
    const [x, y] = applyHomography(m, 4, 2);
    expect(x).toBeCloseTo(25, 9);
    expect(y).toBeCloseTo(15, 9);
  });

  it('should keep straight lines straight', () => {
    const m = rectToQuad(100, 100, [
      [0, 0],
      [100, 10],
      [90, 120],
      [5, 90],
    ]);
    const a = applyHomography(m, 0, 50);
    const b = applyHomography(m, 50, 50);
    const c = applyHomography(m, 100, 50);
    const cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    expect(Math.abs(cross)).toBeLessThan(1e-6);
  });
});
