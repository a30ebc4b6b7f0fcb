import { XMLParser } from 'fast-xml-parser';
import type { DataSource } from 'typeorm';
import { validateAlto } from '../support/app-code';
import { createTestDatabase } from '../support/database';
import {
  expectError,
  insertKey,
  openDatabase,
  postForm,
  postJson,
  usedToday,
  type OcrAnswer,
  type TestKey,
} from '../support/ocr';
import {
  LETTER,
  RENDER_SCALE,
  expectedWords,
  lockedPdf,
  makePdf,
  scannedPage,
  type PageSpec,
  type TextLine,
} from '../support/pdf';
import { startGateway, startWorker, stopAll, type GatewayProcess } from '../support/processes';

// A real worker recognises on a shared 2-core machine: seconds, not milliseconds.
jest.setTimeout(240_000);

type Quad = [[number, number], [number, number], [number, number], [number, number]];
interface Word {
  text: string;
  confidence: number;
  box: Quad;
}
interface Line {
  text: string;
  confidence: number;
  box: Quad;
  words: Word[];
}
interface Page {
  page: number;
  width: number;
  height: number;
  text: string;
  lines: Line[];
  source: 'text-layer' | 'ocr';
  warnings: string[];
}

const MAX_PAGES = 4;

const INVOICE: TextLine[] = [
  { text: 'Invoice 2024-117', x: 72, y: 700, size: 24 },
  { text: 'Total due 12.50 EUR', x: 72, y: 640, size: 18 },
];
const LETTER_TEXT: TextLine[] = [{ text: 'Dear customer, thank you.', x: 90, y: 500, size: 14 }];

function base64(pdf: Buffer): string {
  return pdf.toString('base64');
}

function pagesOf(answer: OcrAnswer): Page[] {
  expect(answer.status).toBe(200);
  return (answer.body as { pages: Page[] }).pages;
}

function corners(quad: Quad): { x0: number; y0: number; x1: number; y1: number } {
  const xs = quad.map(([x]) => x);
  const ys = quad.map(([, y]) => y);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

/**
 * PDF input on the real gateway and worker: pages from their text layer (exact text and boxes)
 * or rendered and recognised, page selection, the page limit, damaged and locked PDFs, and the
 * quota counted in pages.
 */
describe('PDF input (real gateway, worker and Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let gateway: GatewayProcess;
  let key: TestKey;
  let scan: PageSpec;
  let textPdf: Buffer;
  let mixedPdf: Buffer;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    scan = await scannedPage(['INVOICE 2024', 'TOTAL 12.50']);
    textPdf = await makePdf([{ kind: 'text', lines: INVOICE }]);
    mixedPdf = await makePdf([{ kind: 'text', lines: INVOICE }, scan, { kind: 'text', lines: LETTER_TEXT }]);
    const worker = await startWorker({
      env: { OCR_LANES: '1', PDF_MAX_PAGES: String(MAX_PAGES) },
      timeoutMs: 120_000,
    });
    gateway = await startGateway({
      databaseUrl: db.url,
      workerPort: worker.port,
      env: {
        TIERS: JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } }),
        IP_RATE_LIMIT_RPS: '0',
        PDF_MAX_PAGES: String(MAX_PAGES),
      },
      timeoutMs: 90_000,
    });
    key = await insertKey(dataSource);
  });

  afterAll(async () => {
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('should read a born-digital page from its text layer: the exact text, and boxes where the words are', async () => {
    const answer = await postJson(gateway.url, key, { image: base64(textPdf) });
    const [page, ...others] = pagesOf(answer);
    expect(others).toEqual([]);
    expect(page).toMatchObject({
      page: 1,
      width: Math.floor(LETTER.width * RENDER_SCALE),
      height: Math.floor(LETTER.height * RENDER_SCALE),
      source: 'text-layer',
      text: 'Invoice 2024-117\nTotal due 12.50 EUR',
      warnings: [],
    });
    expect(answer.body).toMatchObject({
      text: 'Invoice 2024-117\nTotal due 12.50 EUR',
      pageCount: 1,
      cached: false,
    });
    expect(page.lines.map((line) => line.words.map((word) => word.text))).toEqual([
      ['Invoice', '2024-117'],
      ['Total', 'due', '12.50', 'EUR'],
    ]);
    for (const [i, line] of INVOICE.entries()) {
      const truth = await expectedWords(line);
      for (const [j, word] of page.lines[i].words.entries()) {
        const box = corners(word.box);
        const expected = truth[j];
        // Left and right from Helvetica's widths: within a pixel of rounding.
        expect(Math.abs(box.x0 - expected.x0)).toBeLessThanOrEqual(1.5);
        expect(Math.abs(box.x1 - expected.x1)).toBeLessThanOrEqual(1.5);
        // Top at the ascent, bottom at the descent: around the baseline, within the font size.
        expect(box.y0).toBeLessThan(expected.baseline - 0.6 * expected.size);
        expect(box.y0).toBeGreaterThan(expected.baseline - 1.05 * expected.size);
        expect(box.y1).toBeGreaterThan(expected.baseline);
        expect(box.y1).toBeLessThan(expected.baseline + 0.35 * expected.size);
        expect(word.confidence).toBe(1);
      }
      const lineBox = corners(page.lines[i].box);
      expect(Math.abs(lineBox.x0 - truth[0].x0)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(lineBox.x1 - truth[truth.length - 1].x1)).toBeLessThanOrEqual(1.5);
    }
  });

  it('should take the PDF as a data: URI and as a multipart upload alike', async () => {
    const fromUri = await postJson(gateway.url, key, {
      image: `data:application/pdf;base64,${base64(textPdf)}`,
    });
    const uploaded = await postForm(gateway.url, key, { image: textPdf });
    expect(pagesOf(uploaded)).toEqual(pagesOf(fromUri));
    expect(pagesOf(uploaded)[0].source).toBe('text-layer');
  });

  it('should recognise a scanned page (no text layer) and say so', async () => {
    const pdf = await makePdf([scan]);
    const answer = await postJson(gateway.url, key, { image: base64(pdf) });
    const [page] = pagesOf(answer);
    expect(page.source).toBe('ocr');
    expect(page.text).toMatch(/INVOICE\s*2024/);
    expect(page.text).toMatch(/TOTAL\s*12[.,]50/);
    expect(page.lines.length).toBeGreaterThanOrEqual(2);
    for (const line of page.lines) {
      expect(line.words.map((word) => word.text).join(' ')).toBe(line.text);
    }
    expect(answer.body.model).toEqual(expect.any(String));
  });

  it('should read the chosen pages, each from the source it has, and cost a unit per page', async () => {
    const own = await insertKey(dataSource);
    const all = await postJson(gateway.url, own, { image: base64(mixedPdf) });
    expect(pagesOf(all).map(({ page, source }) => ({ page, source }))).toEqual([
      { page: 1, source: 'text-layer' },
      { page: 2, source: 'ocr' },
      { page: 3, source: 'text-layer' },
    ]);
    expect(all.body.text).toMatch(
      /^Invoice 2024-117\nTotal due 12\.50 EUR\n\nINVOICE\s*2024[\s\S]*\n\nDear customer, thank you\.$/,
    );
    expect(await usedToday(dataSource, own.id)).toBe(3);

    const chosen = await postJson(gateway.url, own, { image: base64(mixedPdf), pages: '3,1' });
    expect(pagesOf(chosen).map(({ page, text }) => ({ page, text }))).toEqual([
      { page: 1, text: 'Invoice 2024-117\nTotal due 12.50 EUR' },
      { page: 3, text: 'Dear customer, thank you.' },
    ]);
    expect(chosen.body.pageCount).toBe(3);
    expect(await usedToday(dataSource, own.id)).toBe(5);
  });

  it('should recognise a page with a text layer too when ocr is "always"', async () => {
    const answer = await postJson(gateway.url, key, { image: base64(textPdf), ocr: 'always' });
    const [page] = pagesOf(answer);
    expect(page.source).toBe('ocr');
    expect(page.text).toMatch(/Invoice\s*2024-117/i);
  });

  it('should refuse more pages than PDF_MAX_PAGES with 413, and take a selection within it', async () => {
    const own = await insertKey(dataSource);
    const five = await makePdf(
      Array.from({ length: MAX_PAGES + 1 }, (_, i): PageSpec => ({
        kind: 'text',
        lines: [{ text: `Page ${i + 1}`, x: 72, y: 700, size: 20 }],
      })),
    );
    const refused = await postJson(gateway.url, own, { image: base64(five) });
    expectError(refused, 413, 'too_many_pages');
    expect(refused.body.error.message).toContain(`The PDF has ${MAX_PAGES + 1} pages; at most ${MAX_PAGES}`);
    expect(await usedToday(dataSource, own.id)).toBe(0);

    const selected = await postJson(gateway.url, own, { image: base64(five), pages: '1,2-' });
    expectError(selected, 413, 'too_many_pages');

    const within = await postJson(gateway.url, own, { image: base64(five), pages: '4-5' });
    expect(pagesOf(within).map((page) => page.text)).toEqual(['Page 4', 'Page 5']);
    expect(await usedToday(dataSource, own.id)).toBe(2);
  });

  it('should refuse a selection the PDF cannot satisfy (422) and a malformed one (400), for free', async () => {
    const own = await insertKey(dataSource);
    const missing = await postJson(gateway.url, own, { image: base64(mixedPdf), pages: '2,9' });
    expectError(missing, 422, 'invalid_document');
    expect(missing.body.error.message).toBe('The PDF has 3 pages; pages asks for page 9.');
    expectError(
      await postJson(gateway.url, own, { image: base64(mixedPdf), pages: 'first' }),
      400,
      'validation_failed',
    );
    expectError(
      await postJson(gateway.url, own, { image: base64(mixedPdf), ocr: 'never' }),
      400,
      'validation_failed',
    );
    expect(await usedToday(dataSource, own.id)).toBe(0);
  });

  it('should refuse damaged and password-locked PDFs with 422 invalid_document, for free', async () => {
    const own = await insertKey(dataSource);
    const garbage = await postJson(gateway.url, own, {
      image: Buffer.from('%PDF-1.7\nthis is not a PDF at all\n%%EOF\n').toString('base64'),
    });
    expectError(garbage, 422, 'invalid_document');
    expect(garbage.body.error.message).toBe('The PDF could not be read: it is damaged or not a PDF.');

    const truncated = await postJson(gateway.url, own, {
      image: base64(mixedPdf.subarray(0, Math.floor(mixedPdf.length / 2))),
    });
    expectError(truncated, 422, 'invalid_document');

    const locked = await postForm(gateway.url, own, { image: await lockedPdf() });
    expectError(locked, 422, 'invalid_document');
    expect(locked.body.error.message).toMatch(/encrypted with a password/);
    expect(await usedToday(dataSource, own.id)).toBe(0);

    // The worker is still there for the next request.
    expect(pagesOf(await postJson(gateway.url, own, { image: base64(textPdf) }))[0].source).toBe(
      'text-layer',
    );
  });

  it('should reserve the pages up front: a PDF with more pages than the quota left is refused whole', async () => {
    const own = await insertKey(dataSource, { dailyLimit: 2 });
    const refused = await postJson(gateway.url, own, { image: base64(mixedPdf) });
    expectError(refused, 429, 'quota_exceeded');
    expect(await usedToday(dataSource, own.id)).toBe(0);
    const fits = await postJson(gateway.url, own, { image: base64(mixedPdf), pages: '1,3' });
    expect(pagesOf(fits)).toHaveLength(2);
    expect(await usedToday(dataSource, own.id)).toBe(2);
  });

  it('should answer hOCR and ALTO with one page per PDF page', async () => {
    const alto = await fetch(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
      body: JSON.stringify({ image: base64(mixedPdf), pages: '1,3', format: 'alto' }),
    });
    expect(alto.status).toBe(200);
    const altoXml = await alto.text();
    expect(validateAlto(altoXml)).toEqual({ ok: true, output: '' });
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => name === 'Page',
    }).parse(altoXml) as { alto: { Layout: { Page: Array<{ WIDTH: string }> } } };
    expect(parsed.alto.Layout.Page).toHaveLength(2);
    expect(altoXml).toContain('CONTENT="Dear"');

    const hocr = await fetch(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
      body: JSON.stringify({ image: base64(mixedPdf), pages: '1,3', format: 'hocr' }),
    });
    const xhtml = await hocr.text();
    expect(xhtml.match(/class="ocr_page"/g)).toHaveLength(2);
    expect(xhtml).toContain('<meta name="ocr-number-of-pages" content="2"/>');
    expect(xhtml).toContain('ppageno 1');
  });

  it('should keep PDFs out of a batch with a clear 415 for that item', async () => {
    const answer = await postJson(
      gateway.url,
      key,
      { images: [{ image: base64(textPdf), id: 'doc' }] },
      '/api/v1/ocr/batch',
    );
    expect(answer.status).toBe(200);
    expect(answer.body.results[0]).toEqual({
      id: 'doc',
      error: expect.objectContaining({
        code: 'unsupported_media_type',
        message: expect.stringContaining('PDF'),
      }),
    });
  });
});
