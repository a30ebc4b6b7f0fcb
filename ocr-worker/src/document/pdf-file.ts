import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OcrLine } from '@app/contracts';
import type { PDFDocumentLoadingTask, PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist';
import type { TextItem } from 'pdfjs-dist/types/src/display/api';
import { WorkerError } from '../common/errors/worker-error';
import type { RgbImage } from '../pipeline/decode';
import { MIN_IMAGE_SIDE } from '../pipeline/decode';
import { withDeadline } from './deadline';
import { textMeasurer } from './measure-text';
import { textLayerLines } from './text-layer';

type Pdfjs = typeof import('pdfjs-dist');

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

let loaded: Promise<Pdfjs> | undefined;

/** pdf.js is ESM-only, hence a real dynamic import (TypeScript would emit `require()`); once per thread. */
function loadPdfjs(): Promise<Pdfjs> {
  loaded ??= importModule(
    pathToFileURL(require.resolve('pdfjs-dist/legacy/build/pdf.mjs')).href,
  ) as Promise<Pdfjs>;
  return loaded;
}

/** pdf.js's own data: the standard 14 fonts (metric-compatible Liberation and Foxit) and its wasm decoders. */
const PDFJS_ROOT = dirname(require.resolve('pdfjs-dist/package.json'));
const assetDir = (name: string): string => `${join(PDFJS_ROOT, name)}/`;

export interface PdfFileOptions {
  /** Epoch milliseconds: every step after it fails with `timeout`. */
  deadline: number;
  /** Pixels of one rendered page, at most (and of one image decoded inside the PDF). */
  maxPixels: number;
  /** Resolution pages are rendered (and text-layer boxes are given) at. */
  dpi: number;
}

/** Page geometry at the rendering scale. */
export interface PdfPageSize {
  width: number;
  height: number;
  scale: number;
}

/**
 * One opened PDF (pdf.js, in the calling thread: the worker's lanes). Every step races the
 * deadline; a step stuck in synchronous parsing is the scheduler's to stop (it replaces a lane
 * that overruns its job's deadline). Errors are the contract's: `invalid_document` for a PDF that
 * cannot be read or needs a password, `timeout` past the deadline.
 */
export class PdfFile {
  private constructor(
    private readonly task: PDFDocumentLoadingTask,
    private readonly document: PDFDocumentProxy,
    private readonly options: PdfFileOptions,
  ) {}

  static async open(bytes: Uint8Array, options: PdfFileOptions): Promise<PdfFile> {
    const pdfjs = await loadPdfjs();
    const task = pdfjs.getDocument({
      // pdf.js takes ownership of (and detaches) the buffer it is given: it gets a copy.
      data: new Uint8Array(bytes),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      enableXfa: false,
      isOffscreenCanvasSupported: false,
      maxImageSize: options.maxPixels,
      standardFontDataUrl: assetDir('standard_fonts'),
      cMapUrl: assetDir('cmaps'),
      cMapPacked: true,
      wasmUrl: assetDir('wasm'),
      // Errors only: its warnings would go to stdout, between the worker's JSON log lines.
      verbosity: 0,
    });
    try {
      const document = await withDeadline(task.promise, options.deadline);
      return new PdfFile(task, document, options);
    } catch (error) {
      await task.destroy().catch(() => undefined);
      throw documentError(error);
    }
  }

  get pageCount(): number {
    return this.document.numPages;
  }

  async page(number: number): Promise<PdfPageReader> {
    try {
      const page = await withDeadline(this.document.getPage(number), this.options.deadline);
      return new PdfPageReader(page, this.options);
    } catch (error) {
      throw documentError(error);
    }
  }

  async close(): Promise<void> {
    await this.task.destroy().catch(() => undefined);
  }
}

export class PdfPageReader {
  readonly size: PdfPageSize;

  constructor(
    private readonly page: PDFPageProxy,
    private readonly options: PdfFileOptions,
  ) {
    this.size = renderSize(page.getViewport({ scale: 1 }), options);
  }

  /** The page's text layer as lines with words, in the rendered page's pixels (empty for a scan). */
  async textLines(): Promise<OcrLine[]> {
    try {
      const content = await withDeadline(this.page.getTextContent(), this.options.deadline);
      const viewport = this.page.getViewport({ scale: this.size.scale });
      const runs = content.items.filter((item): item is TextItem => 'str' in item);
      return textLayerLines(runs, {
        viewport: viewport.transform,
        styles: content.styles,
        measure: textMeasurer(),
      });
    } catch (error) {
      throw documentError(error);
    }
  }

  /** The page rendered on white, as RGB. */
  async render(): Promise<RgbImage> {
    const { createCanvas } = await import('@napi-rs/canvas');
    const { width, height, scale } = this.size;
    const canvas = createCanvas(width, height);
    const context = canvas.getContext('2d');
    // pdf.js draws on any canvas with the DOM's 2D API, which @napi-rs/canvas implements (the
    // DOM's canvas types are not in this project's lib, so pdf.js's parameter types take it as is).
    const task = this.page.render({
      canvas,
      canvasContext: context,
      viewport: this.page.getViewport({ scale }),
    });
    try {
      await withDeadline(task.promise, this.options.deadline, () => task.cancel());
    } catch (error) {
      throw documentError(error);
    }
    const rgba = context.getImageData(0, 0, width, height).data;
    const rgb = new Uint8Array(width * height * 3);
    for (let from = 0, to = 0; from < rgba.length; from += 4, to += 3) {
      rgb[to] = rgba[from];
      rgb[to + 1] = rgba[from + 1];
      rgb[to + 2] = rgba[from + 2];
    }
    return { data: rgb, width, height };
  }

  /** Frees what pdf.js keeps of the page (fonts, images, operator lists). */
  close(): void {
    this.page.cleanup();
  }
}

/**
 * The scale that renders the page at `dpi`, lowered so that the page stays within `maxPixels`.
 * Both sides are whole pixels; a page too small to hold text is refused.
 */
export function renderSize(
  points: { width: number; height: number },
  options: Pick<PdfFileOptions, 'dpi' | 'maxPixels'>,
): PdfPageSize {
  const area = points.width * points.height;
  if (!(area > 0)) {
    throw new WorkerError('invalid_document', 'The PDF could not be read: a page has no area.');
  }
  const scale = Math.min(options.dpi / 72, Math.sqrt(options.maxPixels / area));
  const width = Math.floor(points.width * scale);
  const height = Math.floor(points.height * scale);
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE) {
    throw new WorkerError('invalid_document', 'The PDF could not be read: a page is too small to hold text.');
  }
  return { width, height, scale };
}

/** pdf.js's failures as the client's: a locked PDF, a damaged one; our own errors pass. */
export function documentError(error: unknown): WorkerError {
  if (error instanceof WorkerError) {
    return error;
  }
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') {
    return new WorkerError(
      'invalid_document',
      'The PDF is encrypted with a password: send it without the password protection.',
    );
  }
  return new WorkerError('invalid_document', 'The PDF could not be read: it is damaged or not a PDF.', {
    cause: error,
  });
}
