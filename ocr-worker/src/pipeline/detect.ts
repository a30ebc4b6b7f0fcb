import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import type { RgbImage } from './decode';
import { DET_TABLES, writeChw } from './tensor';

export interface ProbabilityMap {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * PaddleOCR's DetResizeForTest (limit type `max`): scale the long side down to `limitSideLen`
 * (never up), then round each side to a multiple of 32, as the DB network's strides need.
 */
export function detectionSize(
  width: number,
  height: number,
  limitSideLen: number,
): { width: number; height: number } {
  const longSide = Math.max(width, height);
  const ratio = longSide > limitSideLen ? limitSideLen / longSide : 1;
  const round32 = (side: number): number => Math.max(32, Math.round(Math.trunc(side * ratio) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

export async function resizeImage(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) {
    return image;
  }
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Runs the DB text detector on the image resized for it; returns the text probability map. */
export async function detectText(
  session: ort.InferenceSession,
  image: RgbImage,
  limitSideLen: number,
): Promise<ProbabilityMap> {
  const size = detectionSize(image.width, image.height, limitSideLen);
  const resized = await resizeImage(image, size.width, size.height);
  const input = new Float32Array(3 * size.width * size.height);
  writeChw(resized, DET_TABLES, input, size.width);
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, size.height, size.width]),
  };
  const output = await session.run(feeds);
  const data = output[session.outputNames[0]].data as Float32Array;
  return { data, width: size.width, height: size.height };
}
