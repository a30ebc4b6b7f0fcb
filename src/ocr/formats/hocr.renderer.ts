import type { OcrResultDto } from '../dto/ocr-result.dto';
import { PixelBox, pixelBox, unionBox } from './pixel-box';
import { escapeXml } from './xml-text';

/** The hOCR elements and properties this renderer writes (hOCR 1.2, `ocr-capabilities`). */
export const HOCR_CAPABILITIES = 'ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf';

function bbox(box: PixelBox): string {
  return `bbox ${box.x0} ${box.y0} ${box.x1} ${box.y1}`;
}

/**
 * The result as an hOCR 1.2 document (XHTML): one `ocr_page` the size of the image; its lines, in
 * reading order, in one `ocr_carea` and `ocr_par` around them all, as Tesseract nests them (tools
 * that read hOCR look for lines in paragraphs; the result has no blocks of its own); an `ocr_line`
 * per line, an `ocrx_word` per word with its `bbox` and `x_wconf` (confidence in
 * percent, as Tesseract writes it). hOCR boxes are upright rectangles: those of tilted lines and
 * words are the rectangles around their quads. The text of the words is the text of the result.
 */
export function renderHocr(result: OcrResultDto): string {
  const page = { width: result.width, height: result.height };
  const lineBoxes = result.lines.map((line) => pixelBox(line.box, page));
  const lines = result.lines.map((line, i) => {
    const words = line.words.map(
      (word, j) =>
        `<span class="ocrx_word" id="word_1_${i + 1}_${j + 1}" title="${bbox(pixelBox(word.box, page))}; x_wconf ${Math.round(word.confidence * 100)}">${escapeXml(word.text)}</span>`,
    );
    return `     <span class="ocr_line" id="line_1_${i + 1}" title="${bbox(lineBoxes[i])}">${words.join(' ')}</span>`;
  });
  const area = lineBoxes.length === 0 ? '' : bbox(unionBox(lineBoxes));
  const block =
    lines.length === 0
      ? []
      : [
          `   <div class="ocr_carea" id="block_1_1" title="${area}">`,
          `    <p class="ocr_par" id="par_1_1" title="${area}">`,
          ...lines,
          '    </p>',
          '   </div>',
        ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
    ' <head>',
    `  <title>${escapeXml(result.id)}</title>`,
    '  <meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>',
    `  <meta name="ocr-system" content="${escapeXml(`secure-ocr-api, ${result.model}`)}"/>`,
    `  <meta name="ocr-capabilities" content="${HOCR_CAPABILITIES}"/>`,
    '  <meta name="ocr-number-of-pages" content="1"/>',
    ' </head>',
    ' <body>',
    `  <div class="ocr_page" id="page_1" title="${bbox({ x0: 0, y0: 0, x1: page.width, y1: page.height })}; ppageno 0">`,
    ...block,
    '  </div>',
    ' </body>',
    '</html>',
    '',
  ].join('\n');
}
