/**
 * @jest-environment <rootDir>/ocr-worker/src/models/optimize/testing/onnx-runtime-environment.ts
 */
import sharp from 'sharp';
import type { OcrLine } from '@app/contracts';
import { workerErrorCodeOf } from '../common/testing/worker-error-code';
import { OcrEngine } from './ocr-engine';

/** These specs run the real PP-OCRv4 models on images rendered here; a run takes seconds on a loaded CPU. */
jest.setTimeout(120_000);

const WIDTH = 900;
const HEIGHT = 360;

/** A receipt-like card: a big bold total line and a smaller line under it, dark on white. */
function receiptSvg(): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">
      <rect width="100%" height="100%" fill="#fff"/>
      <text x="60" y="140" font-family="DejaVu Sans, Arial, sans-serif" font-size="80" font-weight="bold" fill="#111">TOTAL 12.50</text>
      <text x="60" y="280" font-family="DejaVu Sans, Arial, sans-serif" font-size="56" fill="#111">THANK YOU</text>
    </svg>`,
  );
}

async function renderPng(): Promise<Buffer> {
  return sharp(receiptSvg()).flatten({ background: '#fff' }).png().toBuffer();
}

/** The bounding box of the dark pixels within rows [y0, y1) of an image. */
async function inkBounds(
  png: Buffer,
  y0: number,
  y1: number,
): Promise<{ left: number; right: number; top: number; bottom: number }> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  let left = Infinity;
  let right = -Infinity;
  let top = Infinity;
  let bottom = -Infinity;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[y * info.width + x] < 128) {
        left = Math.min(left, x);
        right = Math.max(right, x + 1);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y + 1);
      }
    }
  }
  return { left, right, top, bottom };
}

/** The bounding box of some lines' boxes together. */
function bounds(...lines: OcrLine[]): { left: number; right: number; top: number; bottom: number } {
  const xs = lines.flatMap((l) => l.box.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.box.map((p) => p[1]));
  return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
}

/** The words read, in reading order; the detector may cut a widely spaced row into several lines. */
function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

describe(OcrEngine.name, () => {
  let engine: OcrEngine;
  let png: Buffer;

  beforeAll(async () => {
    engine = await OcrEngine.create({
      device: 'cpu',
      intraOpThreads: 1,
      detLimitSideLen: 960,
      useAngleCls: true,
      maxPixels: 40_000_000,
    });
    png = await renderPng();
  });

  afterAll(async () => {
    await engine.close();
  });

  it('should report its device and model', () => {
    expect(engine.device).toBe('cpu');
    expect(engine.model).toBe(
      'PP-OCRv4 (det ch_PP-OCRv4_det, rec ch_PP-OCRv4_rec, cls ch_ppocr_mobile_v2.0_cls)',
    );
  });

  it('should read the words, in reading order, with boxes around their ink', async () => {
    const result = await engine.recognize(png, 'text');
    expect([result.width, result.height]).toEqual([WIDTH, HEIGHT]);
    expect(words(result.text)).toEqual(['TOTAL', '12.50', 'THANK', 'YOU']);
    expect(result.text).toBe(result.lines.map((l) => l.text).join('\n'));
    expect(result.markdown).toBeUndefined();
    const rows = [
      result.lines.filter((l) => bounds(l).bottom < 190),
      result.lines.filter((l) => bounds(l).top > 170),
    ];
    const inks = [await inkBounds(png, 0, 180), await inkBounds(png, 180, HEIGHT)];
    rows.forEach((row, i) => {
      expect(row.length).toBeGreaterThan(0);
      const box = bounds(...row);
      const ink = inks[i];
      const textHeight = ink.bottom - ink.top;
      const slack = textHeight * 0.6;
      const tight = textHeight * 0.15;
      // The box holds the ink of its line (to within a few pixels) and not much more: DB grows its
      // kernels back by the unclip ratio, never to twice the text.
      expect(box.left).toBeLessThanOrEqual(ink.left + tight);
      expect(box.right).toBeGreaterThanOrEqual(ink.right - tight);
      expect(box.top).toBeLessThanOrEqual(ink.top + tight);
      expect(box.bottom).toBeGreaterThanOrEqual(ink.bottom - tight);
      expect(box.left).toBeGreaterThan(ink.left - slack);
      expect(box.right).toBeLessThan(ink.right + slack);
      expect(box.top).toBeGreaterThan(ink.top - slack);
      expect(box.bottom).toBeLessThan(ink.bottom + slack);
    });
    for (const line of result.lines) {
      expect(line.confidence).toBeGreaterThan(0.9);
      expect(line.confidence).toBeLessThanOrEqual(1);
    }
    for (const stage of Object.values(result.stageMs)) {
      expect(stage).toBeGreaterThanOrEqual(0);
    }
  });

  it('should keep the word spaces of proportional print and not split letter-spaced headings', async () => {
    const line = (y: number, size: number, spacing: number, family: string, text: string): string =>
      `<text x="30" y="${y}" font-family="${family}" font-size="${size}" letter-spacing="${spacing}" fill="#000">${text}</text>`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1100" height="330">
      <rect width="100%" height="100%" fill="#fff"/>
      ${line(80, 48, 20, 'DejaVu Sans', 'TOTAL')}
      ${line(170, 36, 16, 'DejaVu Serif', 'INVOICE SUMMARY')}
      ${line(260, 36, 0, 'DejaVu Serif', 'The quick brown fox jumps over the lazy dog')}
    </svg>`;
    const result = await engine.recognize(await sharp(Buffer.from(svg)).png().toBuffer(), 'text');
    expect(result.text).toBe('TOTAL\nINVOICE SUMMARY\nThe quick brown fox jumps over the lazy dog');
  });

  it('should answer an empty result for a page without text', async () => {
    const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const result = await engine.recognize(blank, 'markdown');
    expect(result).toMatchObject({ text: '', lines: [], markdown: '', width: 400, height: 300 });
  });

  it('should add markdown in markdown mode', async () => {
    const result = await engine.recognize(png, 'markdown');
    expect(result.markdown).toContain('TOTAL 12.50');
    expect(result.markdown).toContain('THANK YOU');
  });

  it('should read an upside-down scan in its upright order, with boxes in the coordinates of the image as sent', async () => {
    const upsideDown = await sharp(png).rotate(180).png().toBuffer();
    const result = await engine.recognize(upsideDown, 'text');
    expect(words(result.text)).toEqual(['TOTAL', '12.50', 'THANK', 'YOU']);
    const total = result.lines.find((l) => l.text.includes('TOTAL'))!;
    // Turned 180°, the total line sits in the lower part of the picture.
    expect(bounds(total).top).toBeGreaterThan(HEIGHT / 2);
  });

  it.each([90, 180, 270])(
    'should read a page turned %i degrees like the upright one, warn rotated, and box it in the image as sent',
    async (degrees) => {
      const upright = await engine.recognize(png, 'text');
      expect(upright.warnings).not.toContain('rotated');
      const result = await engine.recognize(await sharp(png).rotate(degrees).png().toBuffer(), 'text');
      const [width, height] = degrees === 180 ? [WIDTH, HEIGHT] : [HEIGHT, WIDTH];
      expect([result.width, result.height]).toEqual([width, height]);
      expect(result.text).toBe(upright.text);
      expect(result.warnings).toContain('rotated');
      // The upright page's boxes, turned as sharp turned the page (clockwise), are the boxes read.
      const turn = ([x, y]: [number, number]): [number, number] =>
        degrees === 90 ? [HEIGHT - y, x] : degrees === 180 ? [WIDTH - x, HEIGHT - y] : [y, WIDTH - x];
      upright.lines.forEach((line, i) => {
        const read = result.lines[i];
        const expected = bounds({ ...line, box: line.box.map(turn) as OcrLine['box'] });
        const got = bounds(read);
        for (const side of ['left', 'right', 'top', 'bottom'] as const) {
          expect([read.text, side, Math.abs(got[side] - expected[side]) <= 2]).toEqual([read.text, side, true]);
        }
        const points = [...read.box, ...read.words.flatMap((w) => w.box)];
        for (const [x, y] of points) {
          expect(x >= -1 && x <= width + 1 && y >= -1 && y <= height + 1).toBe(true);
        }
        // Each word box lies within its line's box.
        for (const word of read.words) {
          const w = bounds({ ...read, box: word.box });
          expect(w.left >= got.left - 2 && w.right <= got.right + 2 && w.top >= got.top - 2 && w.bottom <= got.bottom + 2).toBe(true);
        }
      });
    },
  );

  it('should apply EXIF orientation before reading and report the oriented size', async () => {
    // Stored turned 90° counter-clockwise, tagged "rotate 90° clockwise to display" (orientation 6).
    const stored = await sharp(png)
      .rotate(-90)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const result = await engine.recognize(stored, 'text');
    expect([result.width, result.height]).toEqual([WIDTH, HEIGHT]);
    expect(words(result.text)).toEqual(['TOTAL', '12.50', 'THANK', 'YOU']);
  });

  it('should answer bad input with the contract error codes', async () => {
    const jpeg = await sharp(png).jpeg().toBuffer();
    expect(await workerErrorCodeOf(engine.recognize(Buffer.alloc(0), 'text'))).toBe('invalid_image');
    expect(await workerErrorCodeOf(engine.recognize(Buffer.from('%PDF-1.7 not an image'), 'text'))).toBe(
      'unsupported_media_type',
    );
    expect(await workerErrorCodeOf(engine.recognize(jpeg.subarray(0, jpeg.length >> 1), 'text'))).toBe('invalid_image');
  });

  it('should refuse images over its pixel limit', async () => {
    const small = await OcrEngine.create({
      device: 'cpu',
      intraOpThreads: 1,
      detLimitSideLen: 960,
      useAngleCls: false,
      maxPixels: 100_000,
    });
    try {
      expect(await workerErrorCodeOf(small.recognize(png, 'text'))).toBe('image_too_large');
    } finally {
      await small.close();
    }
  });
});
