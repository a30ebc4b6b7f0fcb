import type { DocumentOcrPolicy, DocumentPage, OcrMode } from '@app/contracts';
import type { EngineResult } from '../pipeline/ocr-engine';
import type { RgbImage } from '../pipeline/decode';
import { joinText, readingOrder, toMarkdown } from '../pipeline/layout';
import { WorkerError } from '../common/errors/worker-error';
import { deadlinePassed } from './deadline';
import { PdfFile, type PdfFileOptions } from './pdf-file';

export interface DocumentJob {
  document: Uint8Array;
  /** 1-based pages to read; absent: only count them. */
  pages?: readonly number[];
  ocr: DocumentOcrPolicy;
  mode: OcrMode;
  deadline: number;
}

/** Time spent per stage, summed over the pages (milliseconds). */
export interface DocumentStageTimings {
  open: number;
  textLayer: number;
  render: number;
  recognize: number;
}

export interface DocumentOutput {
  pageCount: number;
  pages: DocumentPage[];
  stageMs: DocumentStageTimings;
}

/** What reads a rendered page: the lane's OCR engine. */
export interface RasterReader {
  recognizeRaster(raster: RgbImage, mode: OcrMode): Promise<EngineResult>;
}

/**
 * Reads the chosen pages of a PDF one after the other: a page with a text layer from it (unless
 * `ocr: "always"`), any other page rendered and recognised. Checks the deadline before each page
 * and inside every pdf.js step, so a large document fails with `timeout` instead of running on.
 */
export async function readDocument(
  job: DocumentJob,
  reader: RasterReader,
  options: Omit<PdfFileOptions, 'deadline'>,
): Promise<DocumentOutput> {
  const stageMs: DocumentStageTimings = { open: 0, textLayer: 0, render: 0, recognize: 0 };
  const timed = async <T>(stage: keyof DocumentStageTimings, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      stageMs[stage] += performance.now() - started;
    }
  };
  const file = await timed('open', () => PdfFile.open(job.document, { ...options, deadline: job.deadline }));
  try {
    const pageCount = file.pageCount;
    const pages: DocumentPage[] = [];
    for (const number of job.pages ?? []) {
      if (!Number.isInteger(number) || number < 1 || number > pageCount) {
        throw new WorkerError(
          'invalid_document',
          `The PDF has ${pageCount} page(s); there is no page ${number}.`,
        );
      }
      if (Date.now() >= job.deadline) {
        throw deadlinePassed();
      }
      const page = await timed('open', () => file.page(number));
      try {
        const { width, height } = page.size;
        const layer = job.ocr === 'always' ? [] : await timed('textLayer', () => page.textLines());
        if (layer.length > 0) {
          const lines = readingOrder(layer);
          pages.push({
            page: number,
            width,
            height,
            text: joinText(lines),
            lines,
            ...(job.mode === 'markdown' ? { markdown: toMarkdown(lines) } : {}),
            source: 'text-layer',
            warnings: [],
          });
          continue;
        }
        const raster = await timed('render', () => page.render());
        const read = await timed('recognize', () => reader.recognizeRaster(raster, job.mode));
        pages.push({
          page: number,
          width,
          height,
          text: read.text,
          lines: read.lines,
          ...(read.markdown === undefined ? {} : { markdown: read.markdown }),
          source: 'ocr',
          warnings: read.warnings,
        });
      } finally {
        page.close();
      }
    }
    return { pageCount, pages, stageMs };
  } finally {
    await file.close();
  }
}
