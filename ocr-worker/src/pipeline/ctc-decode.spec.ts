import type { Charset } from '../models/dictionary';
import { greedyTokens, tokensToLine } from './ctc-decode';

const symbols = ['', 'T', 'O', 'A', 'L', '1', '2', '.', '5', '0', 'B', 'C', '中', '文', '：', ' '];
const charset: Charset = { symbols, spaceIndex: symbols.length - 1 };

/**
 * A probability array from a path: one character per step, `_` for blank, `~` for a space; the
 * chosen class gets `p`, the rest share what is left.
 */
function probsOf(path: string, p = 0.9): { probs: Float32Array; steps: number; classes: number } {
  const classes = symbols.length;
  const steps = path.length;
  const probs = new Float32Array(steps * classes).fill((1 - p) / (classes - 1));
  [...path].forEach((ch, t) => {
    const index = ch === '_' ? 0 : ch === '~' ? charset.spaceIndex! : symbols.indexOf(ch);
    if (index < 0) {
      throw new Error(`no class for ${ch}`);
    }
    probs[t * classes + index] = p;
  });
  return { probs, steps, classes };
}

function decode(path: string): string {
  const { probs, steps, classes } = probsOf(path);
  return tokensToLine(greedyTokens(probs, steps, classes, charset)).text;
}

describe(greedyTokens.name, () => {
  it('should merge repeated steps and drop blanks', () => {
    const { probs, steps, classes } = probsOf('_TT_OO__T_');
    const tokens = greedyTokens(probs, steps, classes, charset);
    expect(tokens.map((t) => [t.text, t.start, t.end])).toEqual([
      ['T', 1, 2],
      ['O', 4, 5],
      ['T', 8, 8],
    ]);
  });

  it('should keep a doubled character when a blank separates its runs', () => {
    expect(decode('1_0_0_0')).toBe('1000');
    expect(decode('1_000')).toBe('10');
  });

  it('should read a batch item at its offset', () => {
    const first = probsOf('T_O');
    const second = probsOf('A_L');
    const both = new Float32Array(first.probs.length + second.probs.length);
    both.set(first.probs);
    both.set(second.probs, first.probs.length);
    const tokens = greedyTokens(both, 3, first.classes, charset, first.probs.length);
    expect(tokens.map((t) => t.text).join('')).toBe('AL');
  });
});

describe(tokensToLine.name, () => {
  it('should average the character probabilities into the confidence', () => {
    const { probs, steps, classes } = probsOf('T_O', 0.8);
    const line = tokensToLine(greedyTokens(probs, steps, classes, charset));
    expect(line.confidence).toBeCloseTo(0.8, 6);
  });

  it('should keep the spaces the model predicts', () => {
    expect(decode('T_O__~___1_2')).toBe('TO 12');
  });

  it('should put a space where the spacing decision asks for one', () => {
    const { probs, steps, classes } = probsOf('T_O_1_2');
    expect(tokensToLine(greedyTokens(probs, steps, classes, charset), [false, true, false]).text).toBe(
      'TO 12',
    );
  });

  it('should map full-width punctuation to ASCII', () => {
    expect(decode('T_：_1')).toBe('T:1');
  });

  it('should answer an empty line with zero confidence', () => {
    expect(tokensToLine([])).toEqual({ text: '', confidence: 0, words: [] });
  });
});

describe('tokensToLine words', () => {
  function wordsOf(path: string, spaceAfter: boolean[] = []): Array<[string, number, number]> {
    const { probs, steps, classes } = probsOf(path);
    const line = tokensToLine(greedyTokens(probs, steps, classes, charset), spaceAfter);
    expect(line.words.map((w) => w.text).join(' ')).toBe(line.text);
    return line.words.map((w) => [w.text, w.first, w.last]);
  }

  it('should split at the spaces the model predicts, keeping each word’s token range', () => {
    expect(wordsOf('T_O__~___1_2')).toEqual([
      ['TO', 0, 1],
      ['12', 3, 4],
    ]);
  });

  it('should split where the spacing decision inserts a space', () => {
    expect(wordsOf('T_O_1_2_.', [false, true, false, false])).toEqual([
      ['TO', 0, 1],
      ['12.', 2, 4],
    ]);
  });

  it('should ignore leading, trailing and repeated spaces', () => {
    expect(wordsOf('~_T_~_~_O_~')).toEqual([
      ['T', 1, 1],
      ['O', 4, 4],
    ]);
  });

  it('should give each word the mean probability of its characters', () => {
    const { probs, steps, classes } = probsOf('T_O_~_1');
    const tokens = greedyTokens(probs, steps, classes, charset);
    tokens[0].probability = 0.5;
    tokens[1].probability = 0.7;
    tokens[3].probability = 0.9;
    const line = tokensToLine(tokens);
    expect(line.words.map((w) => w.confidence)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.9, 6)]);
  });

  it('should split a word whose normalised text holds a space, sharing out its tokens', () => {
    const tokens = ['A', '\u00a8', 'B', 'C'].map((text, i) => ({ text, start: i, end: i, probability: 0.9 }));
    const line = tokensToLine(tokens);
    expect(line.words.map((w) => [w.text, w.first, w.last])).toEqual([
      ['A', 0, 0],
      ['\u0308BC', 1, 3],
    ]);
    expect(line.text).toBe('A \u0308BC');
  });

  it('should treat a full-width space as a word break', () => {
    const tokens = ['中', '\u3000', '文'].map((text, i) => ({ text, start: i, end: i, probability: 0.9 }));
    expect(tokensToLine(tokens).words.map((w) => w.text)).toEqual(['中', '文']);
  });
});
