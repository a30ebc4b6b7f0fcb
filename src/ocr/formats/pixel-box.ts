import type { OcrDocumentResultDto } from '../dto/ocr-document-result.dto';
import type { OcrResultDto } from '../dto/ocr-result.dto';
import type { Quad } from '@app/contracts';

/** An axis-aligned box in whole pixels: x0, y0 inclusive, x1, y1 exclusive. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The smallest whole-pixel box around `quad`, kept within the page: hOCR and ALTO know only
 * upright rectangles, and a tilted line's quad may reach a pixel beyond the image.
 */
export function pixelBox(quad: Quad, page: { width: number; height: number }): PixelBox {
  const xs = quad.map(([x]) => x);
  const ys = quad.map(([, y]) => y);
  const clamp = (v: number, max: number): number => Math.min(max, Math.max(0, v));
  return {
    x0: clamp(Math.floor(Math.min(...xs)), page.width),
    y0: clamp(Math.floor(Math.min(...ys)), page.height),
    x1: clamp(Math.ceil(Math.max(...xs)), page.width),
    y1: clamp(Math.ceil(Math.max(...ys)), page.height),
  };
}

/** The box around several boxes. */
export function unionBox(boxes: readonly PixelBox[]): PixelBox {
  return {
    x0: Math.min(...boxes.map((b) => b.x0)),
    y0: Math.min(...boxes.map((b) => b.y0)),
    x1: Math.max(...boxes.map((b) => b.x1)),
    y1: Math.max(...boxes.map((b) => b.y1)),
  };
}

/** A page as the document formats see it: its size and its lines (an image is one page). */
export interface RenderedPage {
  width: number;
  height: number;
  lines: ReadonlyArray<{
    box: Quad;
    words: ReadonlyArray<{ text: string; confidence: number; box: Quad }>;
  }>;
}

/** What hOCR and ALTO are rendered from: an image's result, or a PDF's pages. */
export type RenderableResult = OcrResultDto | OcrDocumentResultDto;

export function pagesOf(result: RenderableResult): readonly RenderedPage[] {
  return 'pages' in result ? result.pages : [result];
}
