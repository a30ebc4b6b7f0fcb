import { PixelBox, RenderableResult, RenderedPage, pagesOf, pixelBox, unionBox } from './pixel-box';
import { escapeXml } from './xml-text';

/** The hOCR elements and properties this renderer writes (hOCR 1.2, `ocr-capabilities`). */
export const HOCR_CAPABILITIES = 'ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf';

function bbox(box: PixelBox): string {
  return `bbox ${box.x0} ${box.y0} ${box.x1} ${box.y1}`;
}

/**
 * The result as an hOCR 1.2 document (XHTML): one `ocr_page` the size of the image (one per page
 * of a PDF, in page order); its lines, in
 * reading order, in one `ocr_carea` and `ocr_par` around them all, as Tesseract nests them (tools
 * that read hOCR look for lines in paragraphs; the result has no blocks of its own); an `ocr_line`
 * per line, an `ocrx_word` per word with its `bbox` and `x_wconf` (confidence in
 * percent, as Tesseract writes it). hOCR boxes are upright rectangles: those of tilted lines and
 * words are the rectangles around their quads. The text of the words is the text of the result.
 */
export function renderHocr(result: RenderableResult): string {
  const pages = pagesOf(result);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
    ' <head>',
    `  <title>${escapeXml(result.id)}</title>`,
    '  <meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>',
    `  <meta name="ocr-system" content="${escapeXml(`secure-ocr-api, ${result.model}`)}"/>`,
    `  <meta name="ocr-capabilities" content="${HOCR_CAPABILITIES}"/>`,
    `  <meta name="ocr-number-of-pages" content="${pages.length}"/>`,
    ' </head>',
    ' <body>',
    ...pages.flatMap((page, index) => hocrPage(page, index + 1)),
    ' </body>',
    '</html>',
    '',
  ].join('\n');
}

/** One `ocr_page`, numbered `n` from 1 (`ppageno` counts from 0, as Tesseract writes it). */
function hocrPage(page: RenderedPage, n: number): string[] {
  const lineBoxes = page.lines.map((line) => pixelBox(line.box, page));
  const lines = page.lines.map((line, i) => {
    const words = line.words.map(
      (word, j) =>
        `<span class="ocrx_word" id="word_${n}_${i + 1}_${j + 1}" title="${bbox(pixelBox(word.box, page))}; x_wconf ${Math.round(word.confidence * 100)}">${escapeXml(word.text)}</span>`,
    );
    return `     <span class="ocr_line" id="line_${n}_${i + 1}" title="${bbox(lineBoxes[i])}">${words.join(' ')}</span>`;
  });
  const area = lineBoxes.length === 0 ? '' : bbox(unionBox(lineBoxes));
  const block =
    lines.length === 0
      ? []
      : [
          `   <div class="ocr_carea" id="block_${n}_1" title="${area}">`,
          `    <p class="ocr_par" id="par_${n}_1" title="${area}">`,
          ...lines,
          '    </p>',
          '   </div>',
        ];
  return [
    `  <div class="ocr_page" id="page_${n}" title="${bbox({ x0: 0, y0: 0, x1: page.width, y1: page.height })}; ppageno ${n - 1}">`,
    ...block,
    '  </div>',
  ];
}
