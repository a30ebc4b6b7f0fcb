import * as ort from 'onnxruntime-node';
import type { Charset } from '../models/dictionary';
import { rotate180 } from './crop';
import type { RgbImage } from './decode';
import { DecodedLine, greedyTokens, tokensToLine } from './ctc-decode';
import { REC_TABLES, writeChw } from './tensor';
import { SpacingOptions, inferSpaces } from './word-spacing';

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

/** Recognises one line crop (REC_HEIGHT tall) and decodes it with the model's dictionary. */
export async function recognizeLine(
  session: ort.InferenceSession,
  line: RgbImage,
  charset: Charset,
  spacing: SpacingOptions,
): Promise<DecodedLine> {
  const input = recognitionInput(line);
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', input.data, [1, 3, REC_HEIGHT, input.width]),
  };
  const output = (await session.run(feeds))[session.outputNames[0]];
  const [, steps, classes] = output.dims;
  const probs = output.data as Float32Array;
  const tokens = greedyTokens(probs, steps, classes, charset);
  if (charset.spaceIndex === undefined) {
    return tokensToLine(tokens);
  }
  const spaceProbability = new Float32Array(steps);
  for (let t = 0; t < steps; t++) {
    spaceProbability[t] = probs[t * classes + charset.spaceIndex];
  }
  const spaces = inferSpaces(tokens, { spaceProbability, line, stepWidth: input.width / steps }, spacing);
  return tokensToLine(tokens, spaces);
}

/**
 * Recognises a line, and when the angle classifier suspects it lies upside down, also the line
 * turned 180°: the classifier only suggests a turn (it misjudges long lines, which it sees squeezed),
 * and the recognizer's confidence either way decides it.
 */
export async function recognizeUpright(
  session: ort.InferenceSession,
  line: RgbImage,
  suspectUpsideDown: boolean,
  charset: Charset,
  spacing: SpacingOptions,
): Promise<DecodedLine & { turned: boolean }> {
  const asIs = await recognizeLine(session, line, charset, spacing);
  if (!suspectUpsideDown) {
    return { ...asIs, turned: false };
  }
  const turned = await recognizeLine(session, rotate180(line), charset, spacing);
  return turned.confidence > asIs.confidence ? { ...turned, turned: true } : { ...asIs, turned: false };
}
