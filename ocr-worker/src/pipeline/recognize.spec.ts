import type * as ort from 'onnxruntime-node';
import type { Charset } from '../models/dictionary';
import type { RgbImage } from './decode';
import { REC_HEIGHT, recognitionInput, recognitionWidth, recognizeUpright } from './recognize';
import { SPACING_DEFAULTS } from './word-spacing';

describe(recognitionWidth.name, () => {
  it('should round the width up to a multiple of 32', () => {
    expect(recognitionWidth(1)).toBe(32);
    expect(recognitionWidth(32)).toBe(32);
    expect(recognitionWidth(33)).toBe(64);
    expect(recognitionWidth(310)).toBe(320);
  });
});

describe(recognitionInput.name, () => {
  it('should pad the right with zeros, the mid-grey of the normalised input', () => {
    const line = { data: new Uint8Array(40 * REC_HEIGHT * 3).fill(255), width: 40, height: REC_HEIGHT };
    const { data, width } = recognitionInput(line);
    expect(width).toBe(64);
    expect(data.length).toBe(3 * REC_HEIGHT * 64);
    expect(data[39]).toBe(1);
    expect(data[40]).toBe(0);
    expect(data[63]).toBe(0);
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
    const read = await recognizeUpright(
      session,
      crop([
        [8, 28],
        [60, 80],
      ]),
      true,
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
    const read = await recognizeUpright(
      session,
      crop([
        [8, 28],
        [48, 68],
      ]),
      true,
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
