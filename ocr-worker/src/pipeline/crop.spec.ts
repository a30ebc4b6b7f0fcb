import type { Quad } from '@app/contracts';
import type { RgbImage } from './decode';
import { cropTextLine, resizeWidth, rotate180, warpQuad } from './crop';

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
