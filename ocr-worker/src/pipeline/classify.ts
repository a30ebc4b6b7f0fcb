import * as ort from 'onnxruntime-node';
import type { RgbImage } from './decode';
import { resizeWidth } from './crop';
import { REC_TABLES, writeChw } from './tensor';

/** The PaddleOCR angle classifier's input: 3 x 48 x 192. */
export const CLS_HEIGHT = 48;
export const CLS_WIDTH = 192;
/** PaddleOCR's cls_thresh: a line is turned only when the classifier is this sure it is upside down. */
export const CLS_THRESHOLD = 0.9;

/**
 * Puts each line (already CLS_HEIGHT tall) into the classifier's batch as PaddleOCR does: lines
 * wider than CLS_WIDTH are squeezed to it, narrower ones are padded on the right. The input has a
 * fixed size, so batching all lines together changes no result.
 */
export function classifierBatch(lines: readonly RgbImage[]): Float32Array {
  const plane = 3 * CLS_HEIGHT * CLS_WIDTH;
  const batch = new Float32Array(lines.length * plane);
  lines.forEach((line, i) => {
    const fitted = line.width > CLS_WIDTH ? resizeWidth(line, CLS_WIDTH) : line;
    writeChw(fitted, REC_TABLES, batch, CLS_WIDTH, i * plane);
  });
  return batch;
}

/**
 * Which lines the classifier takes for upside down (180° with PaddleOCR's confidence). The
 * classifier sees each line squeezed to 192 pixels, so on long lines it errs; the caller should
 * treat a flag as a suggestion to check, not as a verdict.
 */
export async function upsideDownSuspects(
  session: ort.InferenceSession,
  lines: readonly RgbImage[],
): Promise<boolean[]> {
  if (lines.length === 0) {
    return [];
  }
  const input = classifierBatch(lines);
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', input, [lines.length, 3, CLS_HEIGHT, CLS_WIDTH]),
  };
  const output = await session.run(feeds);
  const probs = output[session.outputNames[0]].data as Float32Array;
  return lines.map((_, i) => probs[i * 2 + 1] > probs[i * 2] && probs[i * 2 + 1] >= CLS_THRESHOLD);
}
