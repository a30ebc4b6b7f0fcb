import type { Quad } from '@app/contracts';
import type { RgbImage } from './decode';
import { looksSideways, mostlyUpsideDown, pointToSent, quadToSent, turnImage } from './orientation';

/** A 4 x 2 raster whose pixel i has the grey level i, to follow pixels through turns. */
function numbered(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data.fill(i, i * 3, i * 3 + 3);
  }
  return { data, width, height };
}

function grey(image: RgbImage): number[][] {
  return Array.from({ length: image.height }, (_, y) =>
    Array.from({ length: image.width }, (_, x) => image.data[(y * image.width + x) * 3]),
  );
}

describe('page orientation', () => {
  const sent = { width: 4, height: 2 };

  it('should turn a raster clockwise by 90, 180 and 270 degrees', () => {
    const image = numbered(4, 2); // rows [0 1 2 3] [4 5 6 7]
    expect(grey(turnImage(image, 90))).toEqual([
      [4, 0],
      [5, 1],
      [6, 2],
      [7, 3],
    ]);
    expect(grey(turnImage(image, 180))).toEqual([
      [7, 6, 5, 4],
      [3, 2, 1, 0],
    ]);
    expect(grey(turnImage(image, 270))).toEqual([
      [3, 7],
      [2, 6],
      [1, 5],
      [0, 4],
    ]);
    expect(turnImage(image, 0)).toBe(image);
  });

  it('should map the turned image corners back onto the corners of the image as sent', () => {
    // The turned image of a 4 x 2 page by 90 or 270 is 2 x 4: its top-left corner was the
    // bottom-left (90) or top-right (270) of the page.
    expect(pointToSent([0, 0], 90, sent)).toEqual([0, 2]);
    expect(pointToSent([2, 4], 90, sent)).toEqual([4, 0]);
    expect(pointToSent([0, 0], 270, sent)).toEqual([4, 0]);
    expect(pointToSent([2, 4], 270, sent)).toEqual([0, 2]);
    expect(pointToSent([0, 0], 180, sent)).toEqual([4, 2]);
    expect(pointToSent([1, 1], 0, sent)).toEqual([1, 1]);
  });

  it('should map a pixel through the raster turn and back to the same pixel', () => {
    const image = numbered(5, 3);
    for (const turn of [90, 180, 270] as const) {
      const turned = turnImage(image, turn);
      for (let y = 0; y < turned.height; y++) {
        for (let x = 0; x < turned.width; x++) {
          // The pixel's centre, mapped back, is the centre of the pixel it came from.
          const [sx, sy] = pointToSent([x + 0.5, y + 0.5], turn, image);
          const source = image.data[(Math.floor(sy) * image.width + Math.floor(sx)) * 3];
          expect([turn, x, y, turned.data[(y * turned.width + x) * 3]]).toEqual([turn, x, y, source]);
        }
      }
    }
  });

  it('should give back a line box exactly, corners clockwise from the top-left of the page as sent', () => {
    // A line box [10..90] x [20..40] on a 100 x 60 page; each turn of the page and the turned
    // page's own box of that line (clockwise from its top-left) map back onto the same box.
    const page = { width: 100, height: 60 };
    const box: Quad = [
      [10, 20],
      [90, 20],
      [90, 40],
      [10, 40],
    ];
    const inTurned: Record<90 | 180 | 270, Quad> = {
      90: [
        [20, 10],
        [40, 10],
        [40, 90],
        [20, 90],
      ],
      180: [
        [10, 20],
        [90, 20],
        [90, 40],
        [10, 40],
      ].map(([x, y]) => [100 - x, 60 - y]) as Quad,
      270: [
        [20, 10],
        [40, 10],
        [40, 90],
        [20, 90],
      ].map(([x, y]) => [x, 100 - y]) as Quad,
    };
    // Put the turned boxes' corners clockwise from their own top-left, as the detector gives them.
    const fromTopLeft = (q: Quad): Quad => {
      const xs = q.map((p) => p[0]);
      const ys = q.map((p) => p[1]);
      const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      return [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
      ];
    };
    for (const turn of [90, 180, 270] as const) {
      const turned = fromTopLeft(inTurned[turn]);
      expect([turn, quadToSent(turned, turn, page)]).toEqual([turn, box]);
    }
    expect(quadToSent(box, 0, page)).toEqual(box);
  });

  it('should take a page of tall boxes for sideways and one of wide boxes, or squares, for upright', () => {
    const wide: Quad = [
      [0, 0],
      [100, 0],
      [100, 20],
      [0, 20],
    ];
    const tall: Quad = [
      [0, 0],
      [20, 0],
      [20, 100],
      [0, 100],
    ];
    const square: Quad = [
      [0, 0],
      [20, 0],
      [20, 22],
      [0, 22],
    ];
    expect(looksSideways([tall, tall, wide, square])).toBe(true);
    expect(looksSideways([tall, wide, wide])).toBe(false);
    expect(looksSideways([square, square])).toBe(false);
    expect(looksSideways([])).toBe(false);
  });

  it('should take a page for upside down when most of its lines are', () => {
    expect(mostlyUpsideDown([true, true, false])).toBe(true);
    expect(mostlyUpsideDown([true, false])).toBe(false);
    expect(mostlyUpsideDown([])).toBe(false);
  });
});
