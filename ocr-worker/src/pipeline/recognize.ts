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
 * Tensor widths are rounded up to this. One line per run with little padding measured fastest on
 * CPU; wider padding costs compute and shifts the CTC alignment.
 */
export const REC_WIDTH_STEP = 32;

export function recognitionWidth(lineWidth: number): number {
  return Math.max(REC_WIDTH_STEP, Math.ceil(lineWidth / REC_WIDTH_STEP) * REC_WIDTH_STEP);
}

/** A 1 x 3 x 48 x W tensor of the line, right-padded with zeros (mid-grey once normalised), as PaddleOCR pads. */
export function recognitionInput(line: RgbImage): { data: Float32Array; width: number } {
  const width = recognitionWidth(line.width);
  const data = new Float32Array(3 * REC_HEIGHT * width);
  writeChw(line, REC_TABLES, data, width);
  return { data, width };
}

/** A recognised line, each word with the crop columns it covers. */
export interface RecognizedLine {
  text: string;
  confidence: number;
  words: Array<{ text: string; confidence: number; span: ColumnSpan }>;
}

/** Recognises one line crop (REC_HEIGHT tall) and decodes it with the model's dictionary. */
export async function recognizeLine(
  session: ort.InferenceSession,
  line: RgbImage,
  charset: Charset,
  spacing: SpacingOptions,
): Promise<RecognizedLine> {
  const input = recognitionInput(line);
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', input.data, [1, 3, REC_HEIGHT, input.width]),
  };
  const output = (await session.run(feeds))[session.outputNames[0]];
  const [, steps, classes] = output.dims;
  const probs = output.data as Float32Array;
  const tokens = greedyTokens(probs, steps, classes, charset);
  const stepWidth = input.width / steps;
  const ink = inkMask(line);
  let decoded: DecodedLine;
  if (charset.spaceIndex === undefined) {
    decoded = tokensToLine(tokens);
  } else {
    const spaceProbability = new Float32Array(steps);
    for (let t = 0; t < steps; t++) {
      spaceProbability[t] = probs[t * classes + charset.spaceIndex];
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
 * Recognises a line, and when the angle classifier suspects it lies upside down, also the line
 * turned 180°: the classifier only suggests a turn (it misjudges long lines, which it sees squeezed),
 * and the recognizer's confidence either way decides it. Word spans are in the columns of `line`
 * as given, whichever way it was read.
 */
export async function recognizeUpright(
  session: ort.InferenceSession,
  line: RgbImage,
  suspectUpsideDown: boolean,
  charset: Charset,
  spacing: SpacingOptions,
): Promise<RecognizedLine & { turned: boolean }> {
  const asIs = await recognizeLine(session, line, charset, spacing);
  if (!suspectUpsideDown) {
    return { ...asIs, turned: false };
  }
  const turned = await recognizeLine(session, rotate180(line), charset, spacing);
  if (turned.confidence <= asIs.confidence) {
    return { ...asIs, turned: false };
  }
  const words = turned.words.map((w) => ({
    ...w,
    span: { from: line.width - w.span.to, to: line.width - w.span.from },
  }));
  return { ...turned, words, turned: true };
}
