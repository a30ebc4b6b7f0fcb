import type { Charset } from '../models/dictionary';
import { normalizeText } from './text-normalize';

/** One emitted character: a run of identical non-blank argmax steps. */
export interface CtcToken {
  text: string;
  /** First and last time step of the run. */
  start: number;
  end: number;
  /** The highest probability the class reached over its run. */
  probability: number;
}

export interface DecodedLine {
  text: string;
  confidence: number;
}

/** Greedy (best-path) CTC: argmax per step, merge repeats, drop blanks (class 0). */
export function greedyTokens(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: Charset,
  offset = 0,
): CtcToken[] {
  const tokens: CtcToken[] = [];
  let previous = 0;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base];
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best === previous) {
      const last = tokens[tokens.length - 1];
      last.end = t;
      last.probability = Math.max(last.probability, bestP);
    } else if (best !== 0) {
      tokens.push({ text: charset.symbols[best] ?? '', start: t, end: t, probability: bestP });
    }
    previous = best;
  }
  return tokens;
}

/**
 * Turns tokens into the line's text, with a space before token i + 1 wherever `spaceAfter[i]`
 * says so, punctuation normalised; the confidence is the mean of the characters' probabilities
 * (PaddleOCR's line score).
 */
export function tokensToLine(tokens: readonly CtcToken[], spaceAfter: readonly boolean[] = []): DecodedLine {
  if (tokens.length === 0) {
    return { text: '', confidence: 0 };
  }
  let text = tokens[0].text;
  for (let i = 1; i < tokens.length; i++) {
    text += (spaceAfter[i - 1] ? ' ' : '') + tokens[i].text;
  }
  const confidence = tokens.reduce((sum, t) => sum + t.probability, 0) / tokens.length;
  return { text: normalizeText(text), confidence };
}
