import type { CtcToken, DecodedWord } from './ctc-decode';

/** Crop columns [from, to) a word covers. */
export interface ColumnSpan {
  from: number;
  to: number;
}

/**
 * The rows where a word's ink is looked for: all of them. Word spacing looks only at a middle band
 * (clear of underlines), but a word's box must also take in the bar of a T or the tail of a y
 * at its ends; rules are erased before the columns are judged (see blankColumns).
 */
export const WORD_INK_BAND: readonly [number, number] = [0, 1];

/** Where a CTC step's character sits in the crop: the centre of the columns of its run. */
function centreOf(token: CtcToken, stepWidth: number): number {
  return ((token.start + token.end + 1) / 2) * stepWidth;
}

/** The middle of the widest blank run in [from, to), or the middle of the range when it has none. */
function splitBetween(blank: Uint8Array, from: number, to: number): number {
  let bestStart = -1;
  let bestLength = 0;
  let start = -1;
  const end = Math.min(blank.length, Math.floor(to));
  for (let x = Math.max(0, Math.ceil(from)); x <= end; x++) {
    if (x < end && blank[x]) {
      start = start < 0 ? x : start;
    } else if (start >= 0) {
      if (x - start > bestLength) {
        bestStart = start;
        bestLength = x - start;
      }
      start = -1;
    }
  }
  return bestLength > 0 ? bestStart + bestLength / 2 : (from + to) / 2;
}

/**
 * The crop columns of each word. CTC places a character's peak somewhere inside its glyph, not at
 * its edges, so the peaks only say which word a column belongs to: neighbouring words part in
 * the widest ink-free gap between them, and each word's span is then tightened to the ink on its
 * side of the gaps. A word never reaches further than a crop height (about a glyph's widest)
 * beyond its outer characters, so a box rule or stray ink at the crop's ends does not stretch it.
 *
 * `blank` marks the crop's ink-free columns (blankColumns over WORD_INK_BAND); a crop without contrast has none,
 * and then the spans end halfway between the words.
 */
export function wordColumns(
  words: readonly DecodedWord[],
  tokens: readonly CtcToken[],
  stepWidth: number,
  blank: Uint8Array,
  crop: { width: number; height: number },
): ColumnSpan[] {
  const cuts: number[] = [];
  for (let i = 1; i < words.length; i++) {
    const left = centreOf(tokens[words[i - 1].last], stepWidth);
    const right = centreOf(tokens[words[i].first], stepWidth);
    cuts.push(splitBetween(blank, left, right));
  }
  return words.map((word, i) => {
    const reachLeft = centreOf(tokens[word.first], stepWidth) - crop.height;
    const reachRight = centreOf(tokens[word.last], stepWidth) + crop.height;
    const from = Math.max(0, i === 0 ? reachLeft : Math.max(reachLeft, cuts[i - 1]));
    const to = Math.min(crop.width, i === words.length - 1 ? reachRight : Math.min(reachRight, cuts[i]));
    let firstInk = -1;
    let lastInk = -1;
    for (let x = Math.ceil(from); x < to && x < blank.length; x++) {
      if (!blank[x]) {
        firstInk = firstInk < 0 ? x : firstInk;
        lastInk = x;
      }
    }
    return firstInk < 0 ? { from, to } : { from: firstInk, to: lastInk + 1 };
  });
}
