import * as ort from 'onnxruntime-node';
import type { Charset } from '../models/dictionary';
import { rotate180 } from './crop';
import type { RgbImage } from './decode';
import { DecodedLine, greedyTokens, tokensToLine } from './ctc-decode';
import { ColumnSpan, WORD_INK_BAND, wordColumns } from './word-boxes';
import { REC_TABLES, writeChw } from './tensor';
import { SpacingOptions, blankColumnsOf, inferSpaces, inkMask } from './word-spacing';

/** PP-OCRv3/v4 recognizers take lines 48 pixels tall. */
export const REC_HEIGHT = 48;
/**
 * Tensor widths are rounded up to this: a line is decoded over its own rounded width, whether it
 * runs alone or in a batch padded to a wider line.
 */
export const REC_WIDTH_STEP = 32;

export function recognitionWidth(lineWidth: number): number {
  return Math.max(REC_WIDTH_STEP, Math.ceil(lineWidth / REC_WIDTH_STEP) * REC_WIDTH_STEP);
}

/** A recognised line, each word with the crop columns it covers. */
export interface RecognizedLine {
  text: string;
  confidence: number;
  words: Array<{ text: string; confidence: number; span: ColumnSpan }>;
}

/** The recognizer's output for a batch: `rows` x `steps` x `classes` probabilities. */
interface BatchOutput {
  probs: Float32Array;
  steps: number;
  classes: number;
  tensorWidth: number;
}

/**
 * Runs `lines` (REC_HEIGHT tall) through the recognizer as one batch: each line left-aligned in a
 * row as wide as the widest line's recognition width, the rest zero (PaddleOCR's padding).
 */
async function runBatch(session: ort.InferenceSession, lines: readonly RgbImage[]): Promise<BatchOutput> {
  const tensorWidth = Math.max(...lines.map((line) => recognitionWidth(line.width)));
  const rowSize = 3 * REC_HEIGHT * tensorWidth;
  const data = new Float32Array(lines.length * rowSize);
  lines.forEach((line, row) => writeChw(line, REC_TABLES, data.subarray(row * rowSize), tensorWidth));
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', data, [lines.length, 3, REC_HEIGHT, tensorWidth]),
  };
  const output = (await session.run(feeds))[session.outputNames[0]];
  const [, steps, classes] = output.dims;
  return { probs: output.data as Float32Array, steps, classes, tensorWidth };
}

/**
 * Decodes row `row` of a batch over the steps that cover the line's own recognition width only:
 * the steps over another line's padding could otherwise add characters, and dropping them keeps
 * the columns of the CTC alignment (and so the word spans) those of a run of the line alone.
 */
function decodeRow(
  batch: BatchOutput,
  row: number,
  line: RgbImage,
  charset: Charset,
  spacing: SpacingOptions,
): RecognizedLine {
  const { probs, classes } = batch;
  const stepWidth = batch.tensorWidth / batch.steps;
  const steps = Math.min(batch.steps, Math.round(recognitionWidth(line.width) / stepWidth));
  const offset = row * batch.steps * classes;
  const tokens = greedyTokens(probs, steps, classes, charset, offset);
  const ink = inkMask(line);
  let decoded: DecodedLine;
  if (charset.spaceIndex === undefined) {
    decoded = tokensToLine(tokens);
  } else {
    const spaceProbability = new Float32Array(steps);
    for (let t = 0; t < steps; t++) {
      spaceProbability[t] = probs[offset + t * classes + charset.spaceIndex];
    }
    const blank = blankColumnsOf(ink, line, spacing.band);
    decoded = tokensToLine(tokens, inferSpaces(tokens, { spaceProbability, blank, stepWidth }, spacing));
  }
  const spans = wordColumns(decoded.words, tokens, stepWidth, blankColumnsOf(ink, line, WORD_INK_BAND), line);
  return {
    text: decoded.text,
    confidence: decoded.confidence,
    words: decoded.words.map((w, i) => ({ text: w.text, confidence: w.confidence, span: spans[i] })),
  };
}

/**
 * Recognises line crops (REC_HEIGHT tall) `batchSize` at a time (PaddleOCR's rec_batch_num), in
 * order of aspect ratio so that a batch holds lines of like widths and little padding; the results
 * come back in the order of `lines`. A batch of 1 is one run per line, padded to its own width.
 */
export async function recognizeLines(
  session: ort.InferenceSession,
  lines: readonly RgbImage[],
  batchSize: number,
  charset: Charset,
  spacing: SpacingOptions,
): Promise<RecognizedLine[]> {
  const order = lines
    .map((_, i) => i)
    .sort((a, b) => lines[a].width / lines[a].height - lines[b].width / lines[b].height || a - b);
  const results: RecognizedLine[] = new Array<RecognizedLine>(lines.length);
  for (let from = 0; from < order.length; from += batchSize) {
    const members = order.slice(from, from + batchSize);
    const batch = await runBatch(
      session,
      members.map((i) => lines[i]),
    );
    members.forEach((i, row) => {
      results[i] = decodeRow(batch, row, lines[i], charset, spacing);
    });
  }
  return results;
}

/**
 * Recognises lines, and those the angle classifier suspects lie upside down also turned 180°: the
 * classifier only suggests a turn (it misjudges long lines, which it sees squeezed), and the
 * recognizer's confidence either way decides it. Word spans are in the columns of each line as
 * given, whichever way it was read. Both passes run `batchSize` lines at a time.
 */
export async function recognizeUpright(
  session: ort.InferenceSession,
  lines: readonly RgbImage[],
  suspectUpsideDown: readonly boolean[],
  batchSize: number,
  charset: Charset,
  spacing: SpacingOptions,
): Promise<Array<RecognizedLine & { turned: boolean }>> {
  const asIs = await recognizeLines(session, lines, batchSize, charset, spacing);
  const suspects = lines.map((_, i) => i).filter((i) => suspectUpsideDown[i] ?? false);
  const turned = await recognizeLines(
    session,
    suspects.map((i) => rotate180(lines[i])),
    batchSize,
    charset,
    spacing,
  );
  const results = asIs.map((read) => ({ ...read, turned: false }));
  suspects.forEach((i, k) => {
    const read = turned[k];
    if (read.confidence <= asIs[i].confidence) {
      return;
    }
    const width = lines[i].width;
    const words = read.words.map((w) => ({
      ...w,
      span: { from: width - w.span.to, to: width - w.span.from },
    }));
    results[i] = { ...read, words, turned: true };
  });
  return results;
}
