import type { RgbImage } from './decode';

/**
 * A per-channel lookup from byte to normalised float, in BGR channel order: PaddleOCR reads images
 * with OpenCV (BGR) and its models were trained that way, so channel 0 of a tensor is blue.
 */
export type ChannelTables = readonly [Float32Array, Float32Array, Float32Array];

export function channelTables(
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): ChannelTables {
  const table = (c: number): Float32Array =>
    Float32Array.from({ length: 256 }, (_, v) => (v / 255 - mean[c]) / std[c]);
  return [table(0), table(1), table(2)];
}

/** Detection: ImageNet statistics, as PaddleOCR's NormalizeImage applies them to the BGR array. */
export const DET_TABLES = channelTables([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
/** Recognition and angle classification: (x / 255 - 0.5) / 0.5. */
export const REC_TABLES = channelTables([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);

/**
 * Writes `image` (RGB, interleaved) into a CHW float tensor of width `tensorWidth` at `offset`,
 * left-aligned. Columns right of the image stay as they are (zero after allocation: PaddleOCR's padding).
 */
export function writeChw(
  image: RgbImage,
  tables: ChannelTables,
  target: Float32Array,
  tensorWidth: number,
  offset = 0,
): void {
  const { data, width, height } = image;
  const plane = tensorWidth * height;
  const [t0, t1, t2] = tables;
  const columns = Math.min(width, tensorWidth);
  for (let y = 0; y < height; y++) {
    let src = y * width * 3;
    const row = offset + y * tensorWidth;
    for (let x = 0; x < columns; x++, src += 3) {
      target[row + x] = t0[data[src + 2]];
      target[plane + row + x] = t1[data[src + 1]];
      target[2 * plane + row + x] = t2[data[src]];
    }
  }
}
