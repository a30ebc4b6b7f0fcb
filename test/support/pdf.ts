import { PDFDocument, PDFHexString, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import { renderPng } from './ocr';

/** PDFs made here (pdf-lib, standard fonts) whose text and positions are known. */

/** The worker's default PDF_RENDER_DPI: pixels per point. */
export const RENDER_SCALE = 200 / 72;

export interface TextLine {
  text: string;
  x: number;
  /** Baseline, PDF points from the bottom of the page. */
  y: number;
  size: number;
}

/** Where a word of a text line lies on the rendered page, from Helvetica's own widths. */
export interface ExpectedWord {
  text: string;
  x0: number;
  x1: number;
  /** The baseline, in page pixels from the top. */
  baseline: number;
  /** The font size in page pixels. */
  size: number;
}

export type PageSpec =
  | { kind: 'text'; lines: TextLine[]; width?: number; height?: number }
  | { kind: 'scan'; png: Buffer; pixelsWide: number; pixelsHigh: number };

export const LETTER = { width: 612, height: 792 } as const;

/** A PDF of the given pages: text pages in Helvetica (a text layer), scans as images only. */
export async function makePdf(pages: PageSpec[]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const spec of pages) {
    if (spec.kind === 'text') {
      const page = doc.addPage([spec.width ?? LETTER.width, spec.height ?? LETTER.height]);
      drawLines(page, font, spec.lines);
    } else {
      // Sized so that rendering at the worker's 200 dpi gives back the scan's own pixels.
      const width = (spec.pixelsWide * 72) / 200;
      const height = (spec.pixelsHigh * 72) / 200;
      const page = doc.addPage([width, height]);
      const image = await doc.embedPng(spec.png);
      page.drawImage(image, { x: 0, y: 0, width, height });
    }
  }
  return Buffer.from(await doc.save());
}

function drawLines(page: PDFPage, font: PDFFont, lines: TextLine[]): void {
  for (const line of lines) {
    page.drawText(line.text, { x: line.x, y: line.y, size: line.size, font });
  }
}

/** The words of `line` on a page `pageHeight` points high, in rendered pixels. */
export async function expectedWords(
  line: TextLine,
  pageHeight: number = LETTER.height,
): Promise<ExpectedWord[]> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const words: ExpectedWord[] = [];
  // pdf-lib's drawText shows the text unkerned, while its widthOfTextAtSize kerns pairs: the
  // truth is the sum of the glyphs' own widths.
  const widthOf = (text: string): number =>
    [...text].reduce((sum, character) => sum + font.widthOfTextAtSize(character, line.size), 0);
  for (const match of line.text.matchAll(/\S+/g)) {
    const before = widthOf(line.text.slice(0, match.index));
    const width = widthOf(match[0]);
    words.push({
      text: match[0],
      x0: (line.x + before) * RENDER_SCALE,
      x1: (line.x + before + width) * RENDER_SCALE,
      baseline: (pageHeight - line.y) * RENDER_SCALE,
      size: line.size * RENDER_SCALE,
    });
  }
  return words;
}

/** A scanned page: text rendered to a PNG (no text layer), with its size in pixels. */
export async function scannedPage(lines: string[], pixelsWide = 900): Promise<PageSpec> {
  const png = await renderPng(lines, pixelsWide);
  const sharp = (await import('sharp')).default;
  const { width, height } = await sharp(png).metadata();
  return { kind: 'scan', png, pixelsWide: width, pixelsHigh: height };
}

/**
 * A PDF locked with a user password (the standard security handler, RC4 40-bit): its /U entry
 * matches no empty password, so a reader must ask for one.
 */
export async function lockedPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([LETTER.width, LETTER.height]).drawText('Secret', { x: 72, y: 700, size: 24, font });
  const encrypt = doc.context.obj({
    Filter: 'Standard',
    V: 1,
    R: 2,
    P: -4,
    O: PDFHexString.of('11'.repeat(32)),
    U: PDFHexString.of('22'.repeat(32)),
  });
  doc.context.trailerInfo.Encrypt = doc.context.register(encrypt);
  doc.context.trailerInfo.ID = doc.context.obj([
    PDFHexString.of('33'.repeat(16)),
    PDFHexString.of('33'.repeat(16)),
  ]);
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
