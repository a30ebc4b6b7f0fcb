import type { CtcToken } from './ctc-decode';
import { tokensToLine } from './ctc-decode';
import type { RgbImage } from './decode';
import { WORD_INK_BAND, wordColumns } from './word-boxes';
import { blankColumns } from './word-spacing';

const HEIGHT = 48;
const STEP = 8;

/**
 * A white 48-pixel crop with black glyph blocks at [x0, x1), and tokens whose CTC peak sits at
 * `peak` (0 = the glyph's left edge, 1 = its right edge), as a model's alignment drifts.
 */
function crop(glyphs: Array<[number, number, string]>, peak = 0.5): { line: RgbImage; tokens: CtcToken[] } {
  const width = Math.max(...glyphs.map((g) => g[1])) + 24;
  const line: RgbImage = { data: new Uint8Array(width * HEIGHT * 3).fill(255), width, height: HEIGHT };
  for (const [x0, x1, text] of glyphs) {
    if (text === ' ') {
      continue;
    }
    for (let y = 10; y < 38; y++) {
      line.data.fill(0, (y * width + x0) * 3, (y * width + x1) * 3);
    }
  }
  const tokens = glyphs.map(([x0, x1, text]) => {
    const step = Math.min(Math.floor((x0 + peak * (x1 - x0 - 1)) / STEP), Math.ceil(width / STEP) - 1);
    return { text, start: step, end: step, probability: 0.9 };
  });
  return { line, tokens };
}

/** "AB CD" as glyph blocks: letters 20 px wide 4 px apart, words 24 px apart, from x = 12. */
const AB_CD: Array<[number, number, string]> = [
  [12, 32, 'A'],
  [36, 56, 'B'],
  [80, 80, ' '],
  [80, 100, 'C'],
  [104, 124, 'D'],
];

function spans(glyphs: Array<[number, number, string]>, peak?: number): Array<[string, number, number]> {
  const { line, tokens } = crop(glyphs, peak);
  const decoded = tokensToLine(tokens);
  const blank = blankColumns(line, WORD_INK_BAND);
  return wordColumns(decoded.words, tokens, STEP, blank, line).map((span, i) => [
    decoded.words[i].text,
    span.from,
    span.to,
  ]);
}

describe(wordColumns.name, () => {
  it('should give each word the exact columns of its ink', () => {
    expect(spans(AB_CD)).toEqual([
      ['AB', 12, 56],
      ['CD', 80, 124],
    ]);
  });

  it.each([0, 0.25, 0.75, 1])(
    'should find the same columns when the CTC peaks sit at %s of each glyph',
    (peak) => {
      expect(spans(AB_CD, peak)).toEqual([
        ['AB', 12, 56],
        ['CD', 80, 124],
      ]);
    },
  );

  it('should not stretch a word over a box rule at the end of the crop', () => {
    const glyphs: Array<[number, number, string]> = [...AB_CD, [124, 124, ' '], [260, 264, '|']];
    const { line, tokens } = crop(glyphs);
    const words = tokensToLine(tokens.slice(0, 5)).words;
    const blank = blankColumns(line, WORD_INK_BAND);
    const [, cd] = wordColumns(words, tokens, STEP, blank, line);
    expect(cd).toEqual({ from: 80, to: 124 });
  });

  it('should part words halfway between them in a crop without contrast', () => {
    const { line, tokens } = crop(AB_CD);
    line.data.fill(255);
    const words = tokensToLine(tokens).words;
    const [ab, cd] = wordColumns(words, tokens, STEP, blankColumns(line, WORD_INK_BAND), line);
    expect(ab.to).toBeCloseTo(cd.from, 0);
    expect(ab.to).toBeGreaterThan(56 - STEP);
    expect(cd.from).toBeLessThan(80 + STEP);
    expect(ab.from).toBeGreaterThanOrEqual(0);
    expect(cd.to).toBeLessThanOrEqual(line.width);
  });
});
