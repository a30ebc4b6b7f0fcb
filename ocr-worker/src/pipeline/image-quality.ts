import type { QualityWarning, Quad } from '@app/contracts';
import type { RgbImage } from './decode';

/** What the image-quality checks measure (see measureQuality). */
export interface QualityMeasures {
  /**
   * Sharpness relative to the text size, the median over the lines: the variance of the
   * Laplacian inside a line's box over the variance of its grey levels there, times the line's
   * height to the fourth. Undefined without lines.
   */
  sharpness?: number;
  /** Median line height in pixels, along the lines' sides; undefined without lines. */
  lineHeight?: number;
  /** The paper's grey level (0-255): the 90th percentile of the page. */
  paper: number;
  /** The ink's grey level inside the line boxes (their 5th percentile); the page's 1st without lines. */
  ink: number;
}

/** Lines measured for sharpness, at most: spread over the page, they say enough and bound the cost. */
const MAX_SHARPNESS_LINES = 24;
/** Pixels of the page sampled for its grey levels, about: a grid this dense bounds the cost. */
const GREY_SAMPLES = 250_000;

function greyAt(data: Uint8Array, i: number): number {
  return (data[i * 3] * 299 + data[i * 3 + 1] * 587 + data[i * 3 + 2] * 114) / 1000;
}

function percentile(histogram: Uint32Array, total: number, fraction: number): number {
  const target = fraction * total;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v];
    if (seen > target) {
      return v;
    }
  }
  return 255;
}

function lineHeightOf([tl, tr, br, bl]: Quad): number {
  return (Math.hypot(bl[0] - tl[0], bl[1] - tl[1]) + Math.hypot(br[0] - tr[0], br[1] - tr[1])) / 2;
}

function median(values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[sorted.length >> 1];
}

/** The whole-pixel rectangle around a quad, inside the image. */
function rectOf(quad: Quad, image: RgbImage): [number, number, number, number] {
  const xs = quad.map(([x]) => x);
  const ys = quad.map(([, y]) => y);
  return [
    Math.max(0, Math.floor(Math.min(...xs))),
    Math.max(0, Math.floor(Math.min(...ys))),
    Math.min(image.width, Math.ceil(Math.max(...xs))),
    Math.min(image.height, Math.ceil(Math.max(...ys))),
  ];
}

/**
 * Sharpness of one line: var(Laplacian) / var(grey) inside its box, which does not depend on the
 * contrast, times height^4. A blur of sigma s pixels spreads each edge over about s pixels, so the
 * ratio falls as 1 / (s^3 h) for text h pixels tall; times h^4 it measures (h / s)^3, the blur
 * relative to the text, which is what decides whether it can be read.
 */
function lineSharpness(image: RgbImage, quad: Quad): number | undefined {
  const [x0, y0, x1, y1] = rectOf(quad, image);
  // At half resolution (2 x 2 means): pixel-level noise (sensor grain, 8-bit rounding) would
  // otherwise pass for detail, while the blur that hurts reading is wider than a pixel anyway.
  const w = (x1 - x0) >> 1;
  const h = (y1 - y0) >> 1;
  if (w < 3 || h < 3) {
    return undefined;
  }
  const grey = new Float32Array(w * h);
  let sum = 0;
  let sumSq = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y0 + 2 * y) * image.width + x0 + 2 * x;
      const v =
        (greyAt(image.data, i) +
          greyAt(image.data, i + 1) +
          greyAt(image.data, i + image.width) +
          greyAt(image.data, i + image.width + 1)) /
        4;
      grey[y * w + x] = v;
      sum += v;
      sumSq += v * v;
    }
  }
  const n = w * h;
  const greyVariance = sumSq / n - (sum / n) ** 2;
  if (greyVariance < 1) {
    return undefined;
  }
  let lapSum = 0;
  let lapSq = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = 4 * grey[i] - grey[i - 1] - grey[i + 1] - grey[i - w] - grey[i + w];
      lapSum += lap;
      lapSq += lap * lap;
    }
  }
  const m = (w - 2) * (h - 2);
  const lapVariance = lapSq / m - (lapSum / m) ** 2;
  return (lapVariance / greyVariance) * lineHeightOf(quad) ** 4;
}

/** Measures the page and its lines for the quality warnings. */
export function measureQuality(image: RgbImage, lines: ReadonlyArray<{ box: Quad }>): QualityMeasures {
  const pixels = image.width * image.height;
  const stride = Math.max(1, Math.floor(Math.sqrt(pixels / GREY_SAMPLES)));
  const page = new Uint32Array(256);
  let pageCount = 0;
  for (let y = 0; y < image.height; y += stride) {
    for (let x = 0; x < image.width; x += stride) {
      page[greyAt(image.data, y * image.width + x) | 0]++;
      pageCount++;
    }
  }
  const measures: QualityMeasures = {
    paper: percentile(page, pageCount, 0.9),
    ink: percentile(page, pageCount, 0.01),
  };
  if (lines.length === 0) {
    return measures;
  }
  measures.lineHeight = median(lines.map((l) => lineHeightOf(l.box)));
  const step = Math.max(1, lines.length / MAX_SHARPNESS_LINES);
  const sampled: Quad[] = [];
  for (let i = 0; i < lines.length; i += step) {
    sampled.push(lines[Math.floor(i)].box);
  }
  measures.sharpness = median(
    sampled.map((quad) => lineSharpness(image, quad)).filter((s): s is number => s !== undefined),
  );
  const inLines = new Uint32Array(256);
  let inCount = 0;
  for (const quad of sampled) {
    const [x0, y0, x1, y1] = rectOf(quad, image);
    const s = Math.max(1, Math.floor(Math.sqrt(((x1 - x0) * (y1 - y0)) / (GREY_SAMPLES / sampled.length))));
    for (let y = y0; y < y1; y += s) {
      for (let x = x0; x < x1; x += s) {
        inLines[greyAt(image.data, y * image.width + x) | 0]++;
        inCount++;
      }
    }
  }
  if (inCount > 0) {
    measures.ink = percentile(inLines, inCount, 0.05);
  }
  return measures;
}

/**
 * Where each warning starts, measured on synthetic pages (DejaVu Sans at 12-36 px, blurred,
 * darkened or flattened, with sensor-like noise for the last two) read by this pipeline; see
 * docs/BENCHMARKS.md. Never tuned on the evaluation set.
 */
export const QUALITY_THRESHOLDS = {
  /**
   * Reading failed below about 5.6e4 at every text size (12 to 36 px); the error rate passes 5%
   * near 1e5 (at 12 px with noise, 1e5 still read with 11% of characters wrong).
   */
  minSharpness: 1e5,
  /** The figure: below about 12 px, line heights leave the recognizer little to read. */
  minLineHeight: 12,
  /** Paper this dark (of 255) left small text failing once noise is present. */
  minPaper: 40,
  /** Paper and ink closer than this (of 255) left small text failing once noise is present. */
  minContrast: 32,
} as const;

/** The warnings of a page's measures (a blurry check needs lines to measure). */
export function qualityWarnings(
  measures: QualityMeasures,
  thresholds: typeof QUALITY_THRESHOLDS = QUALITY_THRESHOLDS,
): QualityWarning[] {
  const warnings: QualityWarning[] = [];
  if (measures.sharpness !== undefined && measures.sharpness < thresholds.minSharpness) {
    warnings.push('blurry');
  }
  if (measures.lineHeight !== undefined && measures.lineHeight < thresholds.minLineHeight) {
    warnings.push('small_text');
  }
  if (measures.paper < thresholds.minPaper) {
    warnings.push('dark');
  }
  if (measures.paper - measures.ink < thresholds.minContrast) {
    warnings.push('low_contrast');
  }
  return warnings;
}
