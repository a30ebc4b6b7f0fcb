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

/** A word of a decoded line and the tokens it was read from. */
export interface DecodedWord {
  text: string;
  /** Mean probability of its characters. */
  confidence: number;
  /** Indices of its first and last token. */
  first: number;
  last: number;
}

export interface DecodedLine {
  text: string;
  confidence: number;
  /** Joined by single spaces, the words are `text`. */
  words: DecodedWord[];
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
 * (PaddleOCR's line score). The text is built from the words, so that the words joined by single
 * spaces are the text whatever the normalisation does (NFKC may turn one character into several,
 * or into a space).
 */
export function tokensToLine(tokens: readonly CtcToken[], spaceAfter: readonly boolean[] = []): DecodedLine {
  if (tokens.length === 0) {
    return { text: '', confidence: 0, words: [] };
  }
  const words: DecodedWord[] = [];
  const flush = (from: number, to: number): void => {
    if (to >= from) {
      words.push(...wordsOf(tokens, from, to));
    }
  };
  let first = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].text.trim() === '') {
      flush(first, i - 1);
      first = i + 1;
    } else if (spaceAfter[i]) {
      flush(first, i);
      first = i + 1;
    }
  }
  flush(first, tokens.length - 1);
  const confidence = tokens.reduce((sum, t) => sum + t.probability, 0) / tokens.length;
  return { text: words.map((w) => w.text).join(' '), confidence, words };
}

/**
 * The words of tokens[from..to], a run without spaces: one word, unless normalising it yields a
 * space (a compatibility character such as U+00A8); then its tokens are shared out among the
 * pieces in proportion to their lengths.
 */
function wordsOf(tokens: readonly CtcToken[], from: number, to: number): DecodedWord[] {
  const raw = tokens
    .slice(from, to + 1)
    .map((t) => t.text)
    .join('');
  const pieces = normalizeText(raw)
    .split(' ')
    .filter((piece) => piece.length > 0);
  const count = to - from + 1;
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  let done = 0;
  return pieces.map((text) => {
    const first = from + Math.min(count - 1, Math.floor((done / total) * count));
    done += text.length;
    const last = Math.max(first, from + Math.ceil((done / total) * count) - 1);
    let sum = 0;
    for (let t = first; t <= last; t++) {
      sum += tokens[t].probability;
    }
    return { text, confidence: sum / (last - first + 1), first, last };
  });
}
