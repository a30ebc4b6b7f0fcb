import type { OcrLine, OcrWord, Quad } from '@app/contracts';

/** A run of text as pdf.js's `getTextContent` gives it (user space, PDF points). */
export interface TextRun {
  str: string;
  /** The text matrix: [a, b, c, d, e, f]; (e, f) is the run's baseline origin. */
  transform: number[];
  /** Advance width of the whole run along its direction, in user space. */
  width: number;
  fontName: string;
  hasEOL?: boolean;
}

/** What pdf.js knows of a run's font (`textContent.styles`). */
export interface RunStyle {
  fontFamily?: string;
  ascent?: number;
  descent?: number;
  vertical?: boolean;
}

/** Maps user space (PDF points) to the page's pixels: pdf.js's `viewport.transform` [a, b, c, d, e, f]. */
export type Matrix = readonly number[];

/**
 * The width of `text` in `family` at any fixed size: only ratios within one run are used, to
 * place its words. The default counts characters (exact for monospaced fonts).
 */
export type MeasureText = (text: string, family: string | undefined) => number;

export interface TextLayerOptions {
  viewport: Matrix;
  styles: Readonly<Record<string, RunStyle>>;
  measure?: MeasureText;
}

/** Ascent and descent (in ems) when the font does not say: typical of Latin fonts. */
const DEFAULT_ASCENT = 0.8;
const DEFAULT_DESCENT = -0.2;
/** A gap between two runs of one line wider than this (in ems) separates two words. */
const WORD_GAP_EMS = 0.15;
/** Runs whose baselines differ by more than this (in ems) are on different lines. */
const BASELINE_TOLERANCE_EMS = 0.3;
/** A horizontal gap wider than this (in ems) starts a new line even on the same baseline (columns). */
const COLUMN_GAP_EMS = 2.5;

const countCharacters: MeasureText = (text) => [...text].length;

/** A word in user space: the corners of the part of its run(s) it covers. */
interface PlacedWord {
  text: string;
  corners: Array<[number, number]>;
}

interface PlacedLine {
  words: PlacedWord[];
  baseline: number;
  fontSize: number;
  /** Where the last run ended (user space x; upright runs only), to measure the gap to the next one. */
  end: number;
  /** The last run ended in a space (or at a pdf.js end of line): the next run starts a word. */
  open: boolean;
}

/**
 * The lines of a page's text layer, with their words, in the page's pixels. Runs are joined into
 * lines along the same baseline; a word's extent within its run comes from the font's widths
 * (`measure`), the run's own width from the PDF, so line boxes are exact and word boxes as exact
 * as the measuring font matches the PDF's. A rotated run is a line of its own, boxed by the
 * upright rectangle around it (as hOCR and ALTO would box it anyway). Confidence is 1: the text is the document's own.
 */
export function textLayerLines(runs: readonly TextRun[], options: TextLayerOptions): OcrLine[] {
  const measure = options.measure ?? countCharacters;
  const lines: PlacedLine[] = [];
  let current: PlacedLine | undefined;
  for (const run of runs) {
    const [a, b, c, d, e, f] = run.transform;
    const fontSize = Math.hypot(c, d) || Math.hypot(a, b);
    if (!(fontSize > 0) || run.str.length === 0) {
      if (run.hasEOL && current) {
        current.open = true;
        current = undefined;
      }
      continue;
    }
    const style = options.styles[run.fontName] ?? {};
    const words = placeWords(run, style, fontSize, measure);
    // Only upright runs are joined into lines; a rotated run stands as a line of its own.
    const upright = Math.abs(b) < 1e-6 && Math.abs(c) < 1e-6 && a > 0 && d > 0;
    const sameLine =
      upright &&
      current !== undefined &&
      Math.abs(current.baseline - f) <= BASELINE_TOLERANCE_EMS * Math.max(fontSize, current.fontSize) &&
      e >= current.end - WORD_GAP_EMS * fontSize &&
      e - current.end <= COLUMN_GAP_EMS * fontSize;
    if (!sameLine || current === undefined) {
      current = { words: [], baseline: f, fontSize, end: e, open: true };
      lines.push(current);
    }
    const gap = e - current.end;
    const joins = !current.open && !/^\s/.test(run.str) && gap <= WORD_GAP_EMS * fontSize;
    const [first, ...rest] = words;
    const last = current.words[current.words.length - 1];
    if (first && last && joins) {
      // A word split across runs (kerning, a change of font): one word.
      current.words[current.words.length - 1] = merge(last, first);
      current.words.push(...rest);
    } else {
      current.words.push(...words);
    }
    current.end = e + run.width;
    current.fontSize = Math.max(current.fontSize, fontSize);
    current.open = /\s$/.test(run.str);
    if (run.hasEOL || !upright) {
      current = undefined;
    }
  }
  return lines.filter((line) => line.words.length > 0).map((line) => toPixels(line, options.viewport));
}

/** The run's words (maximal non-space runs) placed along its baseline in user space. */
function placeWords(run: TextRun, style: RunStyle, fontSize: number, measure: MeasureText): PlacedWord[] {
  const [a, b, c, d, e, f] = run.transform;
  const along = unit(a, b, [1, 0]);
  const up = unit(c, d, [0, 1]);
  const ascent = (style.ascent ?? DEFAULT_ASCENT) * fontSize;
  const descent = (style.descent ?? DEFAULT_DESCENT) * fontSize;
  const total = measure(run.str, style.fontFamily);
  const offset = (index: number): number =>
    total > 0 ? (run.width * measure(run.str.slice(0, index), style.fontFamily)) / total : 0;
  const point = (s: number, t: number): [number, number] => [
    e + along[0] * s + up[0] * t,
    f + along[1] * s + up[1] * t,
  ];
  const words: PlacedWord[] = [];
  for (const match of run.str.matchAll(/\S+/g)) {
    const s0 = offset(match.index);
    const s1 = offset(match.index + match[0].length);
    words.push({
      text: match[0],
      corners: [point(s0, ascent), point(s1, ascent), point(s1, descent), point(s0, descent)],
    });
  }
  return words;
}

function unit(x: number, y: number, fallback: [number, number]): [number, number] {
  const length = Math.hypot(x, y);
  return length > 0 ? [x / length, y / length] : fallback;
}

function merge(a: PlacedWord, b: PlacedWord): PlacedWord {
  return { text: a.text + b.text, corners: [...a.corners, ...b.corners] };
}

function toPixels(line: PlacedLine, viewport: Matrix): OcrLine {
  const words: OcrWord[] = line.words.map((word) => ({
    text: word.text,
    confidence: 1,
    box: rectangle(word.corners.map(([x, y]) => apply(viewport, x, y))),
  }));
  const corners = words.flatMap((word) => word.box);
  return {
    text: words.map((word) => word.text).join(' '),
    confidence: 1,
    box: rectangle(corners),
    words,
  };
}

function apply(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** The upright rectangle around `points`, in whole pixels, corners clockwise from top-left. */
function rectangle(points: ReadonlyArray<readonly [number, number]>): Quad {
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const left = Math.floor(Math.min(...xs));
  const right = Math.ceil(Math.max(...xs));
  const top = Math.floor(Math.min(...ys));
  const bottom = Math.ceil(Math.max(...ys));
  return [
    [left, top],
    [right, top],
    [right, bottom],
    [left, bottom],
  ];
}
