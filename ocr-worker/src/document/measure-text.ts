import { dirname, join } from 'node:path';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import type { MeasureText } from './text-layer';

/** Liberation Sans has Helvetica's and Arial's widths: exact word boxes for the commonest PDF fonts. */
const MEASURING_FAMILY = 'OcrMeasureSans';
const MEASURING_SIZE_PX = 1000;

let context: SKRSContext2D | undefined;

/**
 * Widths of text for placing words inside a PDF text run (only ratios within the run are used).
 * Monospaced runs are measured by counting characters, everything else with Liberation Sans
 * (shipped with pdf.js): exact for Helvetica and Arial, close for other proportional fonts.
 */
export function textMeasurer(): MeasureText {
  if (context === undefined) {
    const fonts = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts');
    GlobalFonts.registerFromPath(join(fonts, 'LiberationSans-Regular.ttf'), MEASURING_FAMILY);
    context = createCanvas(1, 1).getContext('2d');
    context.font = `${MEASURING_SIZE_PX}px ${MEASURING_FAMILY}`;
    // A PDF's text is drawn unkerned unless its TJ arrays say otherwise (and pdf.js puts those in
    // the run's width): kerning here would shift every word after a kerned pair.
    context.fontKerning = 'none';
  }
  const measuring = context;
  return (text, family) =>
    family !== undefined && /mono/i.test(family) ? [...text].length : measuring.measureText(text).width;
}
