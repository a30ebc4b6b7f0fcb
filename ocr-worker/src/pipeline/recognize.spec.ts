import type * as ort from 'onnxruntime-node';
import type { Charset } from '../models/dictionary';
import type { RgbImage } from './decode';
import { REC_HEIGHT, recognitionWidth, recognizeLines, recognizeUpright } from './recognize';
import { SPACING_DEFAULTS } from './word-spacing';

describe(recognitionWidth.name, () => {
  it('should round the width up to a multiple of 32', () => {
    expect(recognitionWidth(1)).toBe(32);
    expect(recognitionWidth(32)).toBe(32);
    expect(recognitionWidth(33)).toBe(64);
    expect(recognitionWidth(310)).toBe(320);
  });
});

describe(recognizeUpright.name, () => {
  const charset: Charset = { symbols: ['', 'A', 'B', ' '], spaceIndex: 3 };
  const STEPS = 12;

  /** A recognizer output of STEPS steps: `path` one class per step (`_` blank), chosen with `p`. */
  function output(path: string, p: number): { dims: number[]; data: Float32Array } {
    const classes = charset.symbols.length;
    const data = new Float32Array(STEPS * classes).fill((1 - p) / (classes - 1));
    [...path].forEach((ch, t) => {
      data[t * classes + (ch === '_' ? 0 : charset.symbols.indexOf(ch))] = p;
    });
    return { dims: [1, STEPS, classes], data };
  }

  /** A 96 x 48 crop with ink at columns [x0, x1) of each block. */
  function crop(blocks: Array<[number, number]>): RgbImage {
    const line: RgbImage = {
      data: new Uint8Array(96 * REC_HEIGHT * 3).fill(255),
      width: 96,
      height: REC_HEIGHT,
    };
    for (const [x0, x1] of blocks) {
      for (let y = 10; y < 38; y++) {
        line.data.fill(0, (y * 96 + x0) * 3, (y * 96 + x1) * 3);
      }
    }
    return line;
  }

  it('should give the spans of a line read turned in the columns of the crop as given', async () => {
    const run = jest
      .fn()
      // As given: a poor reading.
      .mockResolvedValueOnce({ y: output('__A___B_____', 0.3) })
      // Turned 180°: the ink at [60, 80) and [8, 28) now sits at [16, 36) and [68, 88).
      .mockResolvedValueOnce({ y: output('___B__~__A__', 0.9) });
    const session = { inputNames: ['x'], outputNames: ['y'], run } as unknown as ort.InferenceSession;
    const [read] = await recognizeUpright(
      session,
      [
        crop([
          [8, 28],
          [60, 80],
        ]),
      ],
      [true],
      1,
      charset,
      SPACING_DEFAULTS,
    );
    expect(read).toMatchObject({ turned: true, text: 'B A' });
    expect(read.words.map((w) => [w.text, w.span])).toEqual([
      ['B', { from: 60, to: 80 }],
      ['A', { from: 8, to: 28 }],
    ]);
  });

  it('should keep the reading as given when the turn reads worse', async () => {
    const run = jest
      .fn()
      .mockResolvedValueOnce({ y: output('__A__~_B____', 0.9) })
      .mockResolvedValueOnce({ y: output('___B__~__A__', 0.4) });
    const session = { inputNames: ['x'], outputNames: ['y'], run } as unknown as ort.InferenceSession;
    const [read] = await recognizeUpright(
      session,
      [
        crop([
          [8, 28],
          [48, 68],
        ]),
      ],
      [true],
      1,
      charset,
      SPACING_DEFAULTS,
    );
    expect(read).toMatchObject({ turned: false, text: 'A B' });
    expect(read.words.map((w) => w.span)).toEqual([
      { from: 8, to: 28 },
      { from: 48, to: 68 },
    ]);
  });
});

describe(recognizeLines.name, () => {
  const charset: Charset = { symbols: ['', 'A', 'B', ' '], spaceIndex: 3 };
  const CLASSES = charset.symbols.length;
  /** PP-OCRv4's recognizer emits one step per 8 input columns. */
  const STEP = 8;

  /**
   * A recognizer that reads what it is given, row by row: per step, `A` over ink (black, -1 once
   * normalised), blank over paper (white, 1), and `B` over padding (0): padding that reached the
   * decoded text would show as a `B`.
   */
  function readingSession(): { session: ort.InferenceSession; shapes: number[][] } {
    const shapes: number[][] = [];
    const run = jest.fn((feeds: Record<string, ort.Tensor>) => {
      const input = feeds.x;
      const [rows, , height, width] = input.dims;
      shapes.push([...input.dims]);
      const pixels = input.data as Float32Array;
      const steps = width / STEP;
      const data = new Float32Array(rows * steps * CLASSES).fill(0.05);
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t < steps; t++) {
          const value = pixels[r * 3 * height * width + (height >> 1) * width + t * STEP + STEP / 2];
          const cls = value < -0.5 ? 1 : value > 0.5 ? 0 : 2;
          data[(r * steps + t) * CLASSES + cls] = 0.85;
        }
      }
      return Promise.resolve({ y: { dims: [rows, steps, CLASSES], data } });
    });
    return {
      session: { inputNames: ['x'], outputNames: ['y'], run } as unknown as ort.InferenceSession,
      shapes,
    };
  }

  /** A crop `width` wide (a multiple of 32: no padding of its own) with `blocks` ink blocks 16 wide, 32 apart. */
  function crop(width: number, blocks: number): RgbImage {
    const line: RgbImage = {
      data: new Uint8Array(width * REC_HEIGHT * 3).fill(255),
      width,
      height: REC_HEIGHT,
    };
    for (let b = 0; b < blocks; b++) {
      for (let y = 10; y < 38; y++) {
        line.data.fill(0, (y * width + 8 + 32 * b) * 3, (y * width + 24 + 32 * b) * 3);
      }
    }
    return line;
  }

  // Not in order of width, so that sorting them must be undone.
  const crops = [crop(160, 5), crop(64, 2), crop(320, 10), crop(96, 3), crop(32, 1), crop(224, 7)];

  it('should give each crop the reading it gets alone, in the order of the crops, whatever the batch size', async () => {
    const alone = readingSession();
    const expected = await recognizeLines(alone.session, crops, 1, charset, SPACING_DEFAULTS);
    expect(alone.shapes).toHaveLength(crops.length);
    expect(expected.map((r) => r.text.replace(/ /g, '').length)).toEqual([5, 2, 10, 3, 1, 7]);
    for (const size of [2, 4, 6, 16]) {
      const batched = readingSession();
      const reads = await recognizeLines(batched.session, crops, size, charset, SPACING_DEFAULTS);
      expect(reads).toEqual(expected);
      expect(batched.shapes).toHaveLength(Math.ceil(crops.length / size));
    }
  });

  it('should batch crops of like aspect ratios, each batch padded to its widest', async () => {
    const { session, shapes } = readingSession();
    await recognizeLines(session, crops, 4, charset, SPACING_DEFAULTS);
    expect(shapes).toEqual([
      [4, 3, REC_HEIGHT, 160],
      [2, 3, REC_HEIGHT, 320],
    ]);
  });

  it('should decode a row over its own width only, so padding adds no character and moves no word', async () => {
    const { session } = readingSession();
    const [short, long] = await recognizeLines(
      session,
      [crop(64, 2), crop(320, 10)],
      2,
      charset,
      SPACING_DEFAULTS,
    );
    expect(short.text).not.toContain('B');
    expect(short.text.replace(/ /g, '')).toBe('AA');
    expect(short.words.every((w) => w.span.to <= 64)).toBe(true);
    expect(long.text.replace(/ /g, '')).toBe('A'.repeat(10));
  });

  it('should batch the turned readings of the suspects too, and keep each line as its confidence says', async () => {
    const { session, shapes } = readingSession();
    const reads = await recognizeUpright(
      session,
      crops,
      [true, false, true, false, false, true],
      4,
      charset,
      SPACING_DEFAULTS,
    );
    // Three runs of the lines as given would be two; the three suspects turned are one more.
    expect(shapes).toHaveLength(3);
    expect(shapes[2][0]).toBe(3);
    expect(reads.map((r) => r.text.replace(/ /g, '').length)).toEqual([5, 2, 10, 3, 1, 7]);
  });
});
