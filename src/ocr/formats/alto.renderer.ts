import { PixelBox, RenderableResult, RenderedPage, pagesOf, pixelBox, unionBox } from './pixel-box';
import { escapeXml } from './xml-text';

export const ALTO_NAMESPACE = 'http://www.loc.gov/standards/alto/ns-v4#';
const ALTO_SCHEMA_LOCATION = 'http://www.loc.gov/alto/v4/alto-4-4.xsd';

function position(box: PixelBox): string {
  return `HPOS="${box.x0}" VPOS="${box.y0}" WIDTH="${box.x1 - box.x0}" HEIGHT="${box.y1 - box.y0}"`;
}

/**
 * The result as ALTO 4.4 XML, in pixels: one Page and PrintSpace the size of the image (one per
 * page of a PDF, in page order), one
 * TextBlock around all lines (the result has no blocks of its own), a TextLine per line in
 * reading order, a String per word (WC its confidence, 0 to 1, CONTENT its text) and an SP for the
 * gap between neighbouring words. ALTO positions are upright rectangles: those of tilted lines
 * and words are the rectangles around their quads.
 */
export function renderAlto(result: RenderableResult): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alto xmlns="${ALTO_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${ALTO_NAMESPACE} ${ALTO_SCHEMA_LOCATION}">`,
    '  <Description>',
    '    <MeasurementUnit>pixel</MeasurementUnit>',
    '    <OCRProcessing ID="ocr_1">',
    '      <ocrProcessingStep>',
    '        <processingSoftware>',
    '          <softwareName>secure-ocr-api</softwareName>',
    `          <softwareVersion>${escapeXml(result.model)}</softwareVersion>`,
    '        </processingSoftware>',
    '      </ocrProcessingStep>',
    '    </OCRProcessing>',
    '  </Description>',
    '  <Layout>',
    ...pagesOf(result).flatMap((page, index) => altoPage(page, index + 1)),
    '  </Layout>',
    '</alto>',
    '',
  ].join('\n');
}

/** One Page, numbered `n` from 1; IDs carry the page number so they stay unique in the document. */
function altoPage(page: RenderedPage, n: number): string[] {
  const lineBoxes = page.lines.map((line) => pixelBox(line.box, page));
  const lines = page.lines.map((line, i) => {
    const parts: string[] = [];
    let previous: PixelBox | undefined;
    for (const [j, word] of line.words.entries()) {
      const box = pixelBox(word.box, page);
      if (previous) {
        const gap = Math.max(0, box.x0 - previous.x1);
        parts.push(`<SP HPOS="${Math.min(previous.x1, box.x0)}" VPOS="${previous.y0}" WIDTH="${gap}"/>`);
      }
      parts.push(
        `<String ID="string_${n}_${i + 1}_${j + 1}" ${position(box)} WC="${word.confidence}" CONTENT="${escapeXml(word.text)}"/>`,
      );
      previous = box;
    }
    return `          <TextLine ID="line_${n}_${i + 1}" ${position(lineBoxes[i])}>${parts.join('')}</TextLine>`;
  });
  const block =
    lines.length === 0
      ? []
      : [
          `        <TextBlock ID="block_${n}" ${position(unionBox(lineBoxes))}>`,
          ...lines,
          '        </TextBlock>',
        ];
  return [
    `    <Page ID="page_${n}" PHYSICAL_IMG_NR="${n}" WIDTH="${page.width}" HEIGHT="${page.height}">`,
    `      <PrintSpace HPOS="0" VPOS="0" WIDTH="${page.width}" HEIGHT="${page.height}">`,
    ...block,
    '      </PrintSpace>',
    '    </Page>',
  ];
}
