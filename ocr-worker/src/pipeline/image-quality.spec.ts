import type { Quad } from '@app/contracts';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, type RgbImage } from './decode';
import { QUALITY_THRESHOLDS, measureQuality, qualityWarnings } from './image-quality';

/** Three lines of 24 px text, and boxes where they are (as the detector would give them). */
const SIZE = 24;
const LINES = ['TOTAL 12.50 cash', 'Invoice No. 2024-117', 'change 0.50 paid'];

function boxes(size = SIZE): Array<{ box: Quad }> {
  return LINES.map((_, i) => {
    const top = size * 1.6 * (i + 1) - size + 2;
    return {
      box: [
        [36, top],
        [40 + size * 11, top],
        [40 + size * 11, top + size * 1.25],
        [36, top + size * 1.25],
      ],
    };
  });
}

async function page(
  degrade: (image: Sharp) => Sharp = (image) => image,
  size = SIZE,
): Promise<RgbImage> {
  const texts = LINES.map(
    (line, i) =>
      `<text x="40" y="${size * 1.6 * (i + 1)}" font-family="DejaVu Sans" font-size="${size}">${line}</text>`,
  ).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size * 12 + 80}" height="${size * 6}"><rect width="100%" height="100%" fill="white"/>${texts}</svg>`;
  const png = await degrade(sharp(Buffer.from(svg)).removeAlpha())
    .png()
    .toBuffer();
  return decodeImage(png, 40_000_000);
}

describe(measureQuality.name, () => {
  it('should find nothing wrong with sharp black text on white paper', async () => {
    const measures = measureQuality(await page(), boxes());
    expect(measures.sharpness).toBeGreaterThan(10 * QUALITY_THRESHOLDS.minSharpness);
    expect(measures.lineHeight).toBeCloseTo(SIZE * 1.25, 5);
    expect(measures.paper).toBe(255);
    expect(measures.ink).toBeLessThan(40);
    expect(qualityWarnings(measures)).toEqual([]);
  });

  it('should call text blurred far beyond its size blurry, whatever its contrast', async () => {
    const blurred = measureQuality(await page((i) => i.blur(5)), boxes());
    expect(qualityWarnings(blurred)).toEqual(['blurry']);
    // Half the contrast, the same blur: the measure moves far less than the contrast's square
    // (4x) would move a raw Laplacian variance; 8-bit rounding, relatively larger, adds the rest.
    const faint = measureQuality(await page((i) => i.blur(5).linear(0.5, 127)), boxes());
    expect(faint.sharpness! / blurred.sharpness!).toBeGreaterThan(0.5);
    expect(faint.sharpness! / blurred.sharpness!).toBeLessThan(2.5);
    expect(qualityWarnings(measureQuality(await page((i) => i.blur(6).linear(0.5, 127)), boxes()))).toEqual([
      'blurry',
    ]);
  });

  it('should judge blur relative to the text size', async () => {
    // The same blur that leaves 36 px text sharp enough blurs 12 px text past reading.
    const big = measureQuality(await page((i) => i.blur(1.5), 36), boxes(36));
    const small = measureQuality(await page((i) => i.blur(1.5), 12), boxes(12));
    expect(big.sharpness).toBeGreaterThan(small.sharpness! * 4);
  });

  it('should call a dark photo dark, and faint ink on grey paper low_contrast', async () => {
    expect(qualityWarnings(measureQuality(await page((i) => i.linear(0.1, 0)), boxes()))).toEqual(
      expect.arrayContaining(['dark']),
    );
    expect(qualityWarnings(measureQuality(await page((i) => i.linear(0.08, 120)), boxes()))).toEqual([
      'low_contrast',
    ]);
  });

  it('should measure the page alone when it found no lines', async () => {
    const measures = measureQuality(await page(), []);
    expect(measures).toEqual({ paper: 255, ink: expect.any(Number) });
    expect(qualityWarnings(measures)).toEqual([]);
  });
});

describe(qualityWarnings.name, () => {
  const fine = { sharpness: 1e6, lineHeight: 30, paper: 240, ink: 20 };

  it('should warn about small text below the line height threshold only', () => {
    expect(qualityWarnings({ ...fine, lineHeight: 11.5 })).toEqual(['small_text']);
    expect(qualityWarnings({ ...fine, lineHeight: 12 })).toEqual([]);
  });

  it('should give every warning that applies, in a fixed order', () => {
    expect(qualityWarnings({ sharpness: 10, lineHeight: 8, paper: 30, ink: 10 })).toEqual([
      'blurry',
      'small_text',
      'dark',
      'low_contrast',
    ]);
  });
});
