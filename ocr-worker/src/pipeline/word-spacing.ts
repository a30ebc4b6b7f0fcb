import type { CtcToken } from './ctc-decode';
import type { RgbImage } from './decode';

/**
 * How word spaces the recognizer dropped are recovered from the line image. Distances are in
 * units of the crop's height (the recognizer's 48 pixels), so they hold at any print size.
 */
export interface SpacingOptions {
  /** A blank stretch at least this wide (x crop height) between two Latin characters can be a space... */
  minGap: number;
  /** ...when it is also this many times the line's typical gap between letters (letter-spaced headings stay whole)... */
  relativeGap: number;
  /**
   * ...and the two characters' centres are this many times the line's usual character pitch apart:
   * in fixed-pitch print a narrow glyph (`1`, `I`, `.`) leaves wide blanks without adding distance.
   */
  relativePitch: number;
  /** Rows (fractions of the crop height) where ink is looked for: clear of most underlines and box rules. */
  band: readonly [number, number];
}

export const SPACING_DEFAULTS: SpacingOptions = {
  minGap: 0.25,
  relativeGap: 2,
  relativePitch: 1.2,
  band: [0.1, 0.9],
};

/** Fewer gaps than this say nothing about a line's letter spacing or pitch. */
const MIN_GAPS_FOR_STATISTICS = 3;

/**
 * Which columns of a line crop are free of ink, judged within a band of its rows. Ink is what
 * Otsu's threshold on the band separates from the paper.
 */
export function blankColumns(line: RgbImage, [bandFrom, bandTo]: readonly [number, number]): Uint8Array {
  const { data, width, height } = line;
  const y0 = Math.floor(height * bandFrom);
  const y1 = Math.max(y0 + 1, Math.ceil(height * bandTo));
  const grey = new Uint8Array(width * (y1 - y0));
  const histogram = new Uint32Array(256);
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const v = (data[i] * 299 + data[i + 1] * 587 + data[i + 2] * 114 + 500) / 1000;
      grey[(y - y0) * width + x] = v;
      histogram[v | 0]++;
    }
  }
  const threshold = otsuThreshold(histogram, grey.length);
  const blank = new Uint8Array(width);
  if (threshold === undefined) {
    return blank;
  }
  const bandHeight = y1 - y0;
  for (let x = 0; x < width; x++) {
    let ink = 0;
    for (let y = 0; y < bandHeight; y++) {
      if (grey[y * width + x] <= threshold) {
        ink++;
      }
    }
    // One stray dark pixel (scan noise) does not make a column ink.
    blank[x] = ink <= 1 ? 1 : 0;
  }
  return blank;
}

/**
 * Otsu's threshold (the grey level that best separates two classes); undefined for a crop with
 * no contrast to speak of, where nothing can be said about ink.
 */
export function otsuThreshold(histogram: Uint32Array, total: number): number | undefined {
  let sumAll = 0;
  for (let v = 0; v < 256; v++) {
    sumAll += v * histogram[v];
  }
  let weightBelow = 0;
  let sumBelow = 0;
  let best = -1;
  let bestThreshold: number | undefined;
  for (let t = 0; t < 255; t++) {
    weightBelow += histogram[t];
    if (weightBelow === 0) {
      continue;
    }
    const weightAbove = total - weightBelow;
    if (weightAbove === 0) {
      break;
    }
    sumBelow += t * histogram[t];
    const meanBelow = sumBelow / weightBelow;
    const meanAbove = (sumAll - sumBelow) / weightAbove;
    const between = weightBelow * weightAbove * (meanBelow - meanAbove) ** 2;
    if (between > best) {
      best = between;
      bestThreshold = meanAbove - meanBelow >= MIN_CONTRAST ? t : undefined;
    }
  }
  return bestThreshold;
}

/** Grey levels between paper and ink below which a crop is treated as having no ink at all. */
const MIN_CONTRAST = 40;

/** The widest run of blank columns in [from, to). */
export function widestBlankRun(blank: Uint8Array, from: number, to: number): number {
  let widest = 0;
  let run = 0;
  for (let x = Math.max(0, from); x < Math.min(blank.length, to); x++) {
    run = blank[x] ? run + 1 : 0;
    widest = Math.max(widest, run);
  }
  return widest;
}

/** The lower median: with few gaps, the word gaps among them must not pull it up. */
function lowerMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1];
}

/** Characters between which a space can be inferred: not CJK, where words are not space-separated. */
function isSpaceable(text: string): boolean {
  const code = text.codePointAt(0) ?? 0;
  return text.trim().length > 0 && (code < 0x2e80 || (code >= 0xff01 && code <= 0xff5e));
}

/**
 * Decides, for each pair of neighbouring tokens, whether a word space lies between them. The
 * widest ink-free run between the two characters' centres (CTC step t covers crop columns
 * [t * stepWidth, (t + 1) * stepWidth)) is the evidence; see SpacingOptions for the rules that
 * keep letter-spaced headings and fixed-pitch print whole. Spaces the model predicted are kept
 * as tokens and never doubled.
 */
export function inferSpaces(
  tokens: readonly CtcToken[],
  line: RgbImage,
  stepWidth: number,
  options: SpacingOptions = SPACING_DEFAULTS,
): boolean[] {
  if (tokens.length < 2) {
    return [];
  }
  const blank = blankColumns(line, options.band);
  const centres = tokens.map((t) => ((t.start + t.end + 1) / 2) * stepWidth);
  const gaps: number[] = [];
  const pitches: number[] = [];
  for (let i = 1; i < tokens.length; i++) {
    gaps.push(widestBlankRun(blank, Math.round(centres[i - 1]), Math.round(centres[i])));
    pitches.push(centres[i] - centres[i - 1]);
  }
  const between = (i: number): boolean => tokens[i].text !== ' ' && tokens[i + 1].text !== ' ';
  const letterGaps = gaps.filter((_, i) => between(i));
  const enough = letterGaps.length >= MIN_GAPS_FOR_STATISTICS;
  const minGap = Math.max(
    options.minGap * line.height,
    enough ? options.relativeGap * lowerMedian(letterGaps) : 0,
  );
  const minPitch = enough ? options.relativePitch * lowerMedian(pitches) : 0;
  return gaps.map(
    (gap, i) =>
      between(i) &&
      gap >= minGap &&
      pitches[i] >= minPitch &&
      isSpaceable(tokens[i].text) &&
      isSpaceable(tokens[i + 1].text),
  );
}
