import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { sampleResult } from '../testing/sample-result';
import { HOCR_CAPABILITIES, renderHocr } from './hocr.renderer';

type Element = Record<string, unknown> & { ':@'?: Record<string, string> };

/** The elements of a preserveOrder tree with the given class, depth first. */
function byClass(nodes: Element[], cls: string): Element[] {
  return nodes.flatMap((node) => {
    const [name] = Object.keys(node).filter((k) => k !== ':@');
    const children = (node[name] as Element[] | undefined) ?? [];
    const own = node[':@']?.class === cls ? [node] : [];
    return [...own, ...(Array.isArray(children) ? byClass(children, cls) : [])];
  });
}

function textOf(node: Element): string {
  const [name] = Object.keys(node).filter((k) => k !== ':@');
  const children = node[name];
  if (name === '#text') {
    return String(children);
  }
  return Array.isArray(children) ? (children as Element[]).map(textOf).join('') : '';
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  trimValues: false,
  processEntities: true,
  parseTagValue: false,
});

describe(renderHocr.name, () => {
  const hocr = renderHocr(sampleResult());
  const tree = parser.parse(hocr) as Element[];

  it('should be well-formed XHTML', () => {
    expect(XMLValidator.validate(hocr)).toBe(true);
  });

  it('should declare the OCR system, its capabilities and one page the size of the image', () => {
    const metas = Object.fromEntries(
      byClassless(tree, 'meta').map((m) => [m[':@']?.name ?? m[':@']?.['http-equiv'], m[':@']?.content]),
    );
    expect(metas['ocr-system']).toBe('secure-ocr-api, PP-OCRv4 <test>');
    expect(metas['ocr-capabilities']).toBe(HOCR_CAPABILITIES);
    const pages = byClass(tree, 'ocr_page');
    expect(pages).toHaveLength(1);
    expect(pages[0][':@']?.title).toBe('bbox 0 0 420 160; ppageno 0');
  });

  it('should give every line and word its bbox, and every word x_wconf in percent', () => {
    const lines = byClass(tree, 'ocr_line');
    expect(lines.map((l) => l[':@']?.title)).toEqual(['bbox 10 20 300 60', 'bbox 10 90 401 140']);
    const words = byClass(tree, 'ocrx_word');
    expect(words.map((w) => [textOf(w), w[':@']?.title])).toEqual([
      ['Fish', 'bbox 10 20 80 60; x_wconf 99'],
      ['&', 'bbox 95 20 115 60; x_wconf 80'],
      ['"Chips"', 'bbox 130 20 250 60; x_wconf 90'],
      ['<3', 'bbox 265 20 300 60; x_wconf 95'],
      ['TOTAL', 'bbox 10 96 151 140; x_wconf 98'],
      ['12.50', 'bbox 250 90 401 135; x_wconf 96'],
    ]);
    expect(lines.map(textOf)).toEqual(['Fish & "Chips" <3', 'TOTAL 12.50']);
    // One paragraph in one content area holds them, as Tesseract nests lines.
    expect(byClass(tree, 'ocr_par').map((p) => [p[':@']?.title, byClass([p], 'ocr_line').length])).toEqual([
      ['bbox 10 20 401 140', 2],
    ]);
    expect(byClass(tree, 'ocr_carea')).toHaveLength(1);
  });

  it('should hold no empty paragraph when there are no lines', () => {
    const empty = renderHocr({ ...sampleResult(), lines: [], text: '' });
    expect(XMLValidator.validate(empty)).toBe(true);
    expect(empty).not.toContain('ocr_par"');
    expect(empty).toContain('class="ocr_page"');
  });
});

/** Elements by tag name. */
function byClassless(nodes: Element[], tag: string): Element[] {
  return nodes.flatMap((node) => {
    const [name] = Object.keys(node).filter((k) => k !== ':@');
    const children = node[name];
    return [
      ...(name === tag ? [node] : []),
      ...(Array.isArray(children) ? byClassless(children as Element[], tag) : []),
    ];
  });
}
