import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DataSource } from 'typeorm';
import { validateAlto } from '../support/app-code';
import { createTestDatabase } from '../support/database';
import { expectError, insertKey, openDatabase, postJson, type TestKey } from '../support/ocr';
import { startGateway, startWorker, stopAll, type GatewayProcess } from '../support/processes';
import {
  boundsOf,
  insideQuad,
  iou,
  renderWords,
  type Quad,
  type Rect,
  type WordTruth,
} from '../support/words';

// A real worker recognises on a shared 2-core machine: seconds, not milliseconds.
jest.setTimeout(180_000);

interface Word {
  text: string;
  confidence: number;
  box: Quad;
}
interface Line {
  text: string;
  box: Quad;
  words: Word[];
}

type Attributes = Record<string, string>;
interface AltoDocument {
  alto: {
    Layout: {
      Page: Attributes & {
        PrintSpace: {
          TextBlock: { TextLine: Array<Attributes & { String: Attributes[]; SP?: Attributes[] }> };
        };
      };
    };
  };
}

/** hOCR elements: class, title and text, depth first (fast-xml-parser's ordered tree). */
interface HocrElement {
  cls: string;
  title: string;
  text: string;
}

function hocrElements(xhtml: string): HocrElement[] {
  type Node = Record<string, unknown> & { ':@'?: Attributes };
  const tree = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    preserveOrder: true,
    trimValues: false,
    parseTagValue: false,
  }).parse(xhtml) as Node[];
  const textOf = (node: Node): string => {
    const [name] = Object.keys(node).filter((k) => k !== ':@');
    return name === '#text'
      ? String(node[name])
      : ((node[name] as Node[] | undefined) ?? []).map(textOf).join('');
  };
  const walk = (nodes: Node[]): HocrElement[] =>
    nodes.flatMap((node) => {
      const [name] = Object.keys(node).filter((k) => k !== ':@');
      const children = node[name];
      const own = node[':@']?.class
        ? [{ cls: node[':@'].class, title: node[':@'].title ?? '', text: textOf(node) }]
        : [];
      return [...own, ...(Array.isArray(children) ? walk(children as Node[]) : [])];
    });
  return walk(tree);
}

function hocrBox(title: string): Rect {
  const [, x0, y0, x1, y1] = /bbox (\d+) (\d+) (\d+) (\d+)/.exec(title)!.map(Number);
  return [x0, y0, x1, y1];
}

/**
 * `format` on the real gateway and worker: words in JSON, and the same result as hOCR and ALTO,
 * of an image rendered here whose word positions are known.
 */
describe('OCR result formats (real gateway, worker and Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let gateway: GatewayProcess;
  let key: TestKey;
  let png: Buffer;
  let truth: WordTruth[][];
  let json: { lines: Line[]; width: number; height: number; warnings: string[] };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    ({ png, truth } = await renderWords([
      ['INVOICE', 'No.', '2024-117'],
      ['Fish', '&', 'Chips', '<large>', '12.50'],
    ]));
    const worker = await startWorker({ env: { OCR_LANES: '1' }, timeoutMs: 120_000 });
    gateway = await startGateway({
      databaseUrl: db.url,
      workerPort: worker.port,
      env: {
        TIERS: JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } }),
        IP_RATE_LIMIT_RPS: '0',
        RESULT_CACHE_TTL_MS: '120000',
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

  function post(body: unknown): Promise<Response> {
    return fetch(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
      body: JSON.stringify(body),
    });
  }

  function upload(fields: Record<string, string>): Promise<Response> {
    const form = new FormData();
    form.append('image', new Blob([png], { type: 'image/png' }), 'page.png');
    for (const [name, value] of Object.entries(fields)) {
      form.append(name, value);
    }
    return fetch(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'x-api-key': key.plaintext },
      body: form,
    });
  }

  /** Every word where the image has it, in the order and with the text the JSON answer gave. */
  function expectWordsOnTheirInk(words: Array<{ text: string; box: Rect }>): void {
    expect(words.map((w) => w.text)).toEqual(truth.flat().map((w) => w.text));
    for (const [i, word] of words.entries()) {
      expect({ word: word.text, iou: iou(word.box, truth.flat()[i].ink) > 0.7 }).toEqual({
        word: word.text,
        iou: true,
      });
    }
  }

  it('should give every line its words, inside the line, joined by spaces to its text', async () => {
    const answer = await post({ image: png.toString('base64') });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    json = (await answer.json()) as typeof json;
    expect(json.lines).toHaveLength(2);
    expect(json.warnings).toEqual([]);
    for (const line of json.lines) {
      expect(line.words.map((w) => w.text).join(' ')).toBe(line.text);
      for (const word of line.words) {
        expect(word.box.every((corner) => insideQuad(corner, line.box))).toBe(true);
      }
    }
    expectWordsOnTheirInk(
      json.lines.flatMap((l) => l.words.map((w) => ({ text: w.text, box: boundsOf(w.box) }))),
    );
  });

  it('should answer hOCR 1.2 with the same words, boxes and confidences', async () => {
    const answer = await post({ image: png.toString('base64'), format: 'hocr' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/vnd.hocr+html; charset=utf-8');
    expect(answer.headers.get('x-request-id')).toBeTruthy();
    const xhtml = await answer.text();
    expect(XMLValidator.validate(xhtml)).toBe(true);
    expect(xhtml).toContain('<meta name="ocr-system" content="secure-ocr-api, PP-OCR');
    expect(xhtml).toContain(
      '<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"/>',
    );
    const elements = hocrElements(xhtml);
    expect(elements.filter((e) => e.cls === 'ocr_page').map((e) => e.title)).toEqual([
      `bbox 0 0 ${json.width} ${json.height}; ppageno 0`,
    ]);
    expect(elements.filter((e) => e.cls === 'ocr_line').map((e) => e.text)).toEqual(
      json.lines.map((l) => l.text),
    );
    const words = elements.filter((e) => e.cls === 'ocrx_word');
    expectWordsOnTheirInk(words.map((w) => ({ text: w.text, box: hocrBox(w.title) })));
    expect(words.map((w) => Number(/x_wconf (\d+)/.exec(w.title)?.[1]))).toEqual(
      json.lines.flatMap((l) => l.words.map((w) => Math.round(w.confidence * 100))),
    );
  });

  it('should answer ALTO 4 that the published schema accepts, from a multipart upload', async () => {
    const answer = await upload({ format: 'alto' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/alto+xml; charset=utf-8');
    const xml = await answer.text();
    expect(validateAlto(xml)).toEqual({ ok: true, output: '' });
    const alto = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => ['TextLine', 'String', 'SP'].includes(name),
    }).parse(xml) as AltoDocument;
    const page = alto.alto.Layout.Page;
    expect(page).toMatchObject({ WIDTH: String(json.width), HEIGHT: String(json.height) });
    const lines = page.PrintSpace.TextBlock.TextLine;
    expect(lines.map((l) => l.String.map((s) => s.CONTENT).join(' '))).toEqual(json.lines.map((l) => l.text));
    expect(lines.map((l) => l.SP?.length ?? 0)).toEqual(json.lines.map((l) => l.words.length - 1));
    const strings = lines.flatMap((l) => l.String);
    expectWordsOnTheirInk(
      strings.map((s) => {
        const [x, y, w, h] = [s.HPOS, s.VPOS, s.WIDTH, s.HEIGHT].map(Number);
        return { text: s.CONTENT, box: [x, y, x + w, y + h] };
      }),
    );
    expect(strings.every((s) => Number(s.WC) > 0.5 && Number(s.WC) <= 1)).toBe(true);
  });

  it('should keep one JSON result in the cache for every format', async () => {
    // The three answers above share one cache entry: this is a hit, whatever format wrote it.
    const answer = await postJson(gateway.url, key, { image: png.toString('base64'), format: 'json' });
    expect(answer.status).toBe(200);
    expect(answer.body.cached).toBe(true);
    expect(answer.body.lines).toEqual(json.lines);
  });

  it('should refuse an unknown format, and a batch that asks for anything but JSON, with 400', async () => {
    expectError(
      await postJson(gateway.url, key, { image: png.toString('base64'), format: 'pdf' }),
      400,
      'validation_failed',
    );
    const batch = await postJson(
      gateway.url,
      key,
      { images: [{ image: png.toString('base64') }], format: 'hocr' },
      '/api/v1/ocr/batch',
    );
    expectError(batch, 400, 'validation_failed');
    expect(batch.body.error.message).toContain('a batch answers in JSON only');
    const plain = await postJson(
      gateway.url,
      key,
      { images: [{ image: png.toString('base64') }], format: 'json' },
      '/api/v1/ocr/batch',
    );
    expect(plain.status).toBe(200);
    expect(plain.body.results[0].result.lines[0].words.length).toBeGreaterThan(0);
  });

  it('should answer errors in the JSON error shape whatever the format', async () => {
    const answer = await postJson(gateway.url, key, {
      image: png.subarray(0, 30).toString('base64'),
      format: 'alto',
    });
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expectError(answer, 422, 'invalid_image');
  });
});
