import type { CtcToken } from './ctc-decode';
import type { RgbImage } from './decode';
import { SPACING_DEFAULTS, blankColumns, inferSpaces, otsuThreshold, widestBlankRun } from './word-spacing';

const HEIGHT = 48;
const STEP = 8;

type Glyph = [number, number, string];

/** A white 48-pixel line with black glyph blocks at [x0, x1), and the tokens a CTC model would give them. */
function lineOf(glyphs: Glyph[], extra?: (img: RgbImage) => void): { line: RgbImage; tokens: CtcToken[] } {
  const width = Math.max(...glyphs.map((g) => g[1])) + 16;
  const line: RgbImage = { data: new Uint8Array(width * HEIGHT * 3).fill(255), width, height: HEIGHT };
  for (const [x0, x1, text] of glyphs) {
    if (text === ' ') {
      continue;
    }
    for (let y = 10; y < 38; y++) {
      line.data.fill(0, (y * width + x0) * 3, (y * width + x1) * 3);
    }
  }
  extra?.(line);
  // A token's centre ((start + end + 1) / 2 * STEP) lands on its glyph's centre.
  const tokens = glyphs.map(([x0, x1, text]) => {
    const doubled = Math.round((x0 + x1) / STEP) - 1;
    return { text, start: Math.floor(doubled / 2), end: Math.ceil(doubled / 2), probability: 0.9 };
  });
  return { line, tokens };
}

/** Glyphs of the given widths separated by the given gaps, from x = 8. */
function run(texts: string, widths: number[], gaps: number[]): Glyph[] {
  let x = 8;
  return [...texts].map((text, i) => {
    const glyph: Glyph = [x, x + widths[i], text];
    x += widths[i] + (gaps[i] ?? 0);
    return glyph;
  });
}

/**
 * Reads the glyphs with the recognizer's space probability set to `p` on the steps between the
 * pairs listed in `spaceAfter` (token indices) and near zero elsewhere.
 */
function spaced(glyphs: Glyph[], spaceAfter: number[], p: number, extra?: (img: RgbImage) => void): string {
  const { line, tokens } = lineOf(glyphs, extra);
  const spaceProbability = new Float32Array(Math.ceil(line.width / STEP)).fill(0.001);
  for (const i of spaceAfter) {
    spaceProbability.fill(p, tokens[i].end + 1, tokens[i + 1].start);
  }
  const blank = blankColumns(line, SPACING_DEFAULTS.band);
  const flags = inferSpaces(tokens, { spaceProbability, blank, stepWidth: STEP });
  return tokens.map((t, i) => (i > 0 && flags[i - 1] ? ' ' : '') + t.text).join('');
}

const TOTAL_12 = run('TOTAL12', [20, 24, 20, 24, 18, 14, 22], [4, 3, 4, 3, 18, 4]);

describe(inferSpaces.name, () => {
  it('should put a space where the recognizer rated one likely, though below the blank', () => {
    expect(spaced(TOTAL_12, [4], 0.2)).toBe('TOTAL 12');
  });

  it('should not put a space where the recognizer saw none, however wide the gap', () => {
    expect(spaced(TOTAL_12, [4], 0.01)).toBe('TOTAL12');
  });

  it('should keep a letter-spaced heading whole but still split its words', () => {
    expect(spaced(run('TOTAL', [20, 20, 20, 20, 20], [18, 18, 18, 18]), [0, 1, 2, 3], 0.3)).toBe('TOTAL');
    const heading = run('TOTALCAB', [20, 20, 20, 20, 20, 20, 20, 20], [18, 18, 18, 18, 60, 18, 18]);
    expect(spaced(heading, [0, 1, 2, 3, 4, 5, 6], 0.3)).toBe('TOTAL CAB');
  });

  it('should not insert spaces between CJK characters', () => {
    expect(spaced(run('中文字', [30, 30, 30], [30, 30]), [0, 1], 0.5)).toBe('中文字');
  });

  it('should not add a space next to one the model predicted', () => {
    const glyphs = run('AB CD', [20, 20, 10, 20, 20], [3, 10, 10, 3]);
    expect(spaced(glyphs, [1, 2], 0.5)).toBe('AB CD');
  });

  it('should see the gaps between words through an underline', () => {
    const underline = (img: RgbImage): void => {
      for (const y of [36, 37, 38]) {
        img.data.fill(0, y * img.width * 3, (y + 1) * img.width * 3);
      }
    };
    const line = run('ABCDEFGH', [20, 20, 20, 20, 20, 20, 20, 20], [2, 2, 2, 16, 2, 2, 2]);
    expect(spaced(line, [1, 3, 5], 0.3, underline)).toBe('ABCD EFGH');
  });

  it('should answer nothing for fewer than two tokens', () => {
    const { line, tokens } = lineOf([[8, 20, 'A']]);
    const evidence = {
      spaceProbability: new Float32Array(5),
      blank: blankColumns(line, SPACING_DEFAULTS.band),
      stepWidth: STEP,
    };
    expect(inferSpaces(tokens, evidence, SPACING_DEFAULTS)).toEqual([]);
  });
});

describe(blankColumns.name, () => {
  it('should mark ink-free columns and tolerate one stray dark pixel', () => {
    const { line } = lineOf([[4, 8, 'I']]);
    line.data.fill(0, (20 * line.width + 12) * 3, (20 * line.width + 13) * 3);
    const blank = blankColumns(line, [0, 1]);
    expect(Array.from(blank.subarray(0, 14))).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  });

  it('should erase a rule that runs through the band', () => {
    const { line } = lineOf(run('AB', [10, 10], [20]), (img) => {
      img.data.fill(0, 24 * img.width * 3, 25 * img.width * 3);
    });
    const blank = blankColumns(line, [0, 1]);
    expect(blank[25]).toBe(1);
    expect(blank[10]).toBe(0);
  });

  it('should find no blank column, and so no evidence, in a crop without contrast', () => {
    const flat: RgbImage = { data: new Uint8Array(10 * HEIGHT * 3).fill(128), width: 10, height: HEIGHT };
    expect(Array.from(blankColumns(flat, [0, 1])).every((v) => v === 0)).toBe(true);
  });
});

describe(otsuThreshold.name, () => {
  it('should split two grey levels between them', () => {
    const histogram = new Uint32Array(256);
    histogram[30] = 100;
    histogram[220] = 300;
    const t = otsuThreshold(histogram, 400)!;
    expect(t).toBeGreaterThanOrEqual(30);
    expect(t).toBeLessThan(220);
  });

  it('should find no threshold without contrast', () => {
    const histogram = new Uint32Array(256);
    histogram[120] = 50;
    histogram[140] = 50;
    expect(otsuThreshold(histogram, 100)).toBeUndefined();
  });
});

describe(widestBlankRun.name, () => {
  it('should measure the longest blank run inside the window only', () => {
    const blank = Uint8Array.from([1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
    expect(widestBlankRun(blank, 0, 11)).toBe(4);
    expect(widestBlankRun(blank, 2, 9)).toBe(2);
  });
});
