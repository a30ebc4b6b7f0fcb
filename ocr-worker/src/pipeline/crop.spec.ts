import type { Quad } from '@app/contracts';
import type { RgbImage } from './decode';
import { cropSpanToQuad, cropTextLine, lineCropGeometry, resizeWidth, rotate180, warpQuad } from './crop';

/** A test card: each pixel encodes its own coordinates (R = x, G = y), B = 7. */
function card(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set([x, y, 7], (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(i, i + 3));
}

describe(warpQuad.name, () => {
  it('should copy an axis-aligned, unscaled region exactly', () => {
    const img = card(100, 60);
    const out = warpQuad(
      img,
      [
        [10, 20],
        [50, 20],
        [50, 40],
        [10, 40],
      ],
      40,
      20,
    );
    expect(out.width).toBe(40);
    expect(out.height).toBe(20);
    expect(pixel(out, 0, 0)).toEqual([10, 20, 7]);
    expect(pixel(out, 39, 19)).toEqual([49, 39, 7]);
    expect(pixel(out, 17, 5)).toEqual([27, 25, 7]);
  });

  it('should straighten a rotated region', () => {
    const img = card(200, 200);
    // The square [60,100) x [80,120), turned 90° clockwise: the warp starts at its bottom-left corner.
    const quad: Quad = [
      [60, 120],
      [60, 80],
      [100, 80],
      [100, 120],
    ];
    const out = warpQuad(img, quad, 40, 40);
    expect(pixel(out, 0, 0)).toEqual([60, 119, 7]);
    expect(pixel(out, 39, 0)).toEqual([60, 80, 7]);
    expect(pixel(out, 0, 39)).toEqual([99, 119, 7]);
  });

  it('should average the source when shrinking instead of skipping pixels', () => {
    const img: RgbImage = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8 };
    for (let i = 0; i < 64; i++) {
      img.data.fill((i % 8) % 2 === 0 ? 0 : 200, i * 3, i * 3 + 3);
    }
    const out = warpQuad(
      img,
      [
        [0, 0],
        [8, 0],
        [8, 8],
        [0, 8],
      ],
      2,
      2,
    );
    expect(pixel(out, 0, 0)).toEqual([100, 100, 100]);
    expect(pixel(out, 1, 1)).toEqual([100, 100, 100]);
  });

  it('should replicate the border outside the image', () => {
    const img = card(10, 10);
    const out = warpQuad(
      img,
      [
        [-5, -5],
        [5, -5],
        [5, 5],
        [-5, 5],
      ],
      10,
      10,
    );
    expect(pixel(out, 0, 0)).toEqual([0, 0, 7]);
  });
});

describe(cropTextLine.name, () => {
  it('should scale a line to the target height at its aspect ratio', () => {
    const out = cropTextLine(
      card(300, 100),
      [
        [0, 0],
        [200, 0],
        [200, 24],
        [0, 24],
      ],
      48,
    );
    expect(out.height).toBe(48);
    expect(out.width).toBe(400);
  });

  it('should turn a tall crop 90° counter-clockwise so its text runs left to right', () => {
    const img = card(100, 200);
    const out = cropTextLine(
      img,
      [
        [40, 20],
        [60, 20],
        [60, 180],
        [40, 180],
      ],
      20,
    );
    expect(out.height).toBe(20);
    expect(out.width).toBe(160);
    // After the turn the crop's top-left is the region's top-right corner.
    expect(pixel(out, 0, 0)).toEqual([59, 20, 7]);
    expect(pixel(out, 159, 0)).toEqual([59, 179, 7]);
    expect(pixel(out, 0, 19)).toEqual([40, 20, 7]);
  });
});

describe(cropSpanToQuad.name, () => {
  const near = (quad: number[][]): number[][] =>
    quad.map(([x, y]) => [Math.round(x * 100) / 100, Math.round(y * 100) / 100]);

  it('should map crop columns back onto an upright line box', () => {
    const geometry = lineCropGeometry(
      [
        [10, 50],
        [210, 50],
        [210, 74],
        [10, 74],
      ],
      48,
    );
    expect(geometry.width).toBe(400);
    // Crop columns [100, 300) are half the scale of the box: x from 10 + 50 to 10 + 150.
    expect(near(cropSpanToQuad(geometry, 100, 300))).toEqual([
      [60, 50],
      [160, 50],
      [160, 74],
      [60, 74],
    ]);
  });

  it('should follow a skewed line along its top and bottom edges', () => {
    // A line rising 40 px over 400: a word at columns [0, w/2) covers the first half of each edge.
    const quad: Quad = [
      [0, 60],
      [400, 20],
      [400, 60],
      [0, 100],
    ];
    const geometry = lineCropGeometry(quad, 48);
    const [tl, tr, br, bl] = cropSpanToQuad(geometry, 0, geometry.width / 2);
    expect(near([tl, bl])).toEqual([
      [0, 60],
      [0, 100],
    ]);
    expect(tr[0]).toBeCloseTo(200, 6);
    expect(tr[1]).toBeCloseTo(40, 6);
    expect(br[0]).toBeCloseTo(200, 6);
    expect(br[1]).toBeCloseTo(80, 6);
  });

  it('should give the corners of a turned (vertical) line in the order of its own box', () => {
    const quad: Quad = [
      [40, 20],
      [60, 20],
      [60, 180],
      [40, 180],
    ];
    const geometry = lineCropGeometry(quad, 20);
    expect(geometry).toMatchObject({ tall: true, width: 160, height: 20 });
    // The crop reads from the top down: its first 40 columns are the box's top quarter.
    expect(near(cropSpanToQuad(geometry, 0, 40))).toEqual([
      [40, 20],
      [60, 20],
      [60, 60],
      [40, 60],
    ]);
  });
});

describe(rotate180.name, () => {
  it('should turn a raster upside down', () => {
    const out = rotate180(card(3, 2));
    expect(pixel(out, 0, 0)).toEqual([2, 1, 7]);
    expect(pixel(out, 2, 1)).toEqual([0, 0, 7]);
  });
});

describe(resizeWidth.name, () => {
  it('should change only the width', () => {
    const out = resizeWidth(card(100, 48), 50);
    expect([out.width, out.height]).toEqual([50, 48]);
    expect(pixel(out, 0, 10)[1]).toBe(10);
  });
});
