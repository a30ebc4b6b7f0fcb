import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import sharp from 'sharp';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/database';
import {
  expectError,
  insertKey,
  openDatabase,
  pngBomb,
  postForm,
  postJson,
  renderPng,
  selfSignedCertificate,
  usedToday,
  type OcrAnswer,
  type TestKey,
} from '../support/ocr';
import { startGateway, startWorker, stopAll, type GatewayProcess } from '../support/processes';

// A real worker recognises on a shared 2-core machine: seconds, not milliseconds.
jest.setTimeout(180_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Each run writes its rate-limit buckets under its own prefix, so runs sharing a Redis never meet.
const prefix = `test:ocr:${randomBytes(6).toString('hex')}:`;
const MAX_BODY_BYTES = 1024 * 1024;
const BATCH_MAX = 4;

const b64 = (bytes: Buffer): string => bytes.toString('base64');

/**
 * The public OCR endpoints as clients meet them: two compiled gateways (sharing Postgres and
 * Redis), one real OCR worker with the real models, and an HTTPS image server with a certificate
 * made for this run. Images are rendered here from SVG.
 */
describe('OCR API (real gateways, worker, Postgres and Redis)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let certDir: string;
  let images: HttpsServer;
  let imagePort: number;
  /** Default URL rules: refuses localhost. */
  let gateway: GatewayProcess;
  /** Trusts the test CA and allows the host `localhost`; otherwise the same. */
  let second: GatewayProcess;
  let invoice: Buffer;
  let key: TestKey;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    invoice = await renderPng(['INVOICE 2024', 'TOTAL 12.50']);

    certDir = mkdtempSync(join(tmpdir(), 'ocr-api-e2e-'));
    const { keyFile, certFile } = selfSignedCertificate(certDir);
    images = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
      if (req.url === '/invoice.png') {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': invoice.length }).end(invoice);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imagePort = (images.address() as AddressInfo).port;

    const worker = await startWorker({ env: { OCR_LANES: '1' }, timeoutMs: 120_000 });
    const env = {
      TIERS: JSON.stringify({
        test: { rps: 1000, burst: 1000, daily: 100_000 },
        slow: { rps: 0.05, burst: 1, daily: 1000 },
      }),
      IP_RATE_LIMIT_RPS: '0',
      REDIS_URL,
      RATE_LIMIT_REDIS_PREFIX: prefix,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      BATCH_MAX: String(BATCH_MAX),
      RESULT_CACHE_TTL_MS: '120000',
    };
    [gateway, second] = await Promise.all([
      startGateway({ databaseUrl: db.url, workerPort: worker.port, env, timeoutMs: 90_000 }),
      startGateway({
        databaseUrl: db.url,
        workerPort: worker.port,
        env: { ...env, URL_ALLOWED_HOSTS: 'localhost', URL_CA_FILE: certFile },
        timeoutMs: 90_000,
      }),
    ]);
    key = await insertKey(dataSource);
  });

  afterAll(async () => {
    await stopAll();
    images?.closeAllConnections();
    await new Promise((resolve) => images?.close(resolve));
    rmSync(certDir, { recursive: true, force: true });
    await dataSource?.destroy();
    await db?.drop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    await redis.quit();
  });

  function expectInvoice(answer: OcrAnswer): void {
    expect(answer.status).toBe(200);
    expect(answer.body.text).toMatch(/INVOICE\s*2024/);
    expect(answer.body.text).toMatch(/TOTAL\s*12[.,]50/);
    expect(answer.body).toMatchObject({
      id: answer.headers.get('x-request-id'),
      width: 640,
      height: 168,
      device: 'cpu',
      model: expect.stringContaining('PP-OCR'),
      timing: { totalMs: expect.any(Number), queueMs: expect.any(Number), inferenceMs: expect.any(Number) },
    });
    expect(answer.body.lines).toHaveLength(2);
    expect(answer.body.lines[0]).toEqual({
      text: expect.stringMatching(/INVOICE/),
      confidence: expect.any(Number),
      box: [
        [expect.any(Number), expect.any(Number)],
        [expect.any(Number), expect.any(Number)],
        [expect.any(Number), expect.any(Number)],
        [expect.any(Number), expect.any(Number)],
      ],
      words: expect.arrayContaining([expect.objectContaining({ text: 'INVOICE' })]),
    });
  }

  describe('one image', () => {
    it('should read a rendered image sent as bare base64, with the rate-limit headers', async () => {
      const answer = await postJson(gateway.url, key, { image: b64(invoice) });
      expectInvoice(answer);
      expect(answer.body.cached).toBe(false);
      expect(answer.body.markdown).toBeUndefined();
      expect(answer.body.timing.inferenceMs).toBeGreaterThan(0);
      expect(answer.headers.get('ratelimit-policy')).toBe('"rate";q=1000;w=1, "daily";q=100000;w=86400');
      expect(answer.headers.get('ratelimit')).toMatch(/"daily";r=99999;t=\d+/);
      expect(answer.headers.get('x-ratelimit-limit')).toBeTruthy();
    });

    it('should read the same words from a data: URI and from a multipart upload', async () => {
      const fresh = await insertKey(dataSource);
      const fromUri = await postJson(gateway.url, fresh, { image: `data:image/png;base64,${b64(invoice)}` });
      expectInvoice(fromUri);
      const other = await insertKey(dataSource);
      const uploaded = await postForm(gateway.url, other, { image: invoice });
      expectInvoice(uploaded);
      expect(uploaded.body.cached).toBe(false);
      const texts = (answer: OcrAnswer): string[] =>
        (answer.body.lines as Array<{ text: string }>).map((l) => l.text);
      expect(texts(uploaded)).toEqual(texts(fromUri));
    });

    it('should add markdown in markdown mode, from mode or from a prompt, and let mode win over prompt', async () => {
      const markdown = await postJson(gateway.url, key, { image: b64(invoice), mode: 'markdown' });
      expect(markdown.status).toBe(200);
      expect(markdown.body.markdown).toContain('INVOICE');
      expect(markdown.body.text).toMatch(/INVOICE/);

      const prompted = await postForm(
        gateway.url,
        key,
        { image: invoice },
        { prompt: 'Convert the document to markdown.' },
      );
      expect(prompted.status).toBe(200);
      expect(prompted.body.markdown).toContain('INVOICE');

      const modeWins = await postJson(gateway.url, key, {
        image: b64(invoice),
        mode: 'lines',
        prompt: 'markdown please',
      });
      expect(modeWins.status).toBe(200);
      expect(modeWins.body.markdown).toBeUndefined();

      const nullMode = await postJson(gateway.url, key, { image: b64(invoice), mode: null, prompt: null });
      expect(nullMode.status).toBe(200);
      expect(nullMode.body.markdown).toBeUndefined();
    });

    it('should answer a repeated image from cache, fast, costing one unit', async () => {
      const cacheKey = await insertKey(dataSource);
      const miss = await postJson(gateway.url, cacheKey, { image: b64(invoice) });
      expect(miss.body.cached).toBe(false);
      const hit = await postJson(gateway.url, cacheKey, { image: b64(invoice) });
      expectInvoice(hit);
      expect(hit.body.cached).toBe(true);
      expect(hit.body.id).not.toBe(miss.body.id);
      expect(hit.body.text).toBe(miss.body.text);
      expect(hit.body.timing.inferenceMs).toBe(0);
      expect(hit.body.timing.totalMs).toBeLessThan(100);
      expect(await usedToday(dataSource, cacheKey.id)).toBe(2);
      // The other gateway process finds it through Redis.
      const shared = await postJson(second.url, cacheKey, { image: b64(invoice) });
      expect(shared.body.cached).toBe(true);
    });

    it("should never serve one key's cached result to another key, but serve it to a rotated key", async () => {
      const admin = await insertKey(dataSource, { scopes: ['ocr', 'admin'] });
      const original = await insertKey(dataSource);
      expect((await postJson(gateway.url, original, { image: b64(invoice) })).body.cached).toBe(false);

      const stranger = await insertKey(dataSource);
      expect((await postJson(gateway.url, stranger, { image: b64(invoice) })).body.cached).toBe(false);

      const rotated = await postJson(
        gateway.url,
        admin,
        { graceSeconds: 0 },
        `/admin/v1/keys/${original.id}/rotate`,
      );
      expect(rotated.status).toBe(201);
      const successor: TestKey = { id: rotated.body.id as string, plaintext: rotated.body.key as string };
      const inherited = await postJson(gateway.url, successor, { image: b64(invoice) });
      expect(inherited.body.cached).toBe(true);
      expect(await usedToday(dataSource, original.id)).toBe(2);
    });

    it('should give the unit back when the worker cannot read the image', async () => {
      const refundKey = await insertKey(dataSource);
      const tiny = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      const answer = await postJson(gateway.url, refundKey, { image: b64(tiny) });
      expectError(answer, 422, 'invalid_image');
      expect(answer.body.error.message).toMatch(/too small/);
      expect(await usedToday(dataSource, refundKey.id)).toBe(0);
      expect(answer.headers.get('ratelimit')).toMatch(/"daily";r=100000;/);
    });
  });

  describe('errors', () => {
    it.each([
      ['no image', {}, /image is required/],
      ['a null image', { image: null, mode: null }, /image is required/],
      ['a mode outside text, lines, markdown', { image: 'aGVsbG8=', mode: 'html' }, /mode must be one of/],
      ['a prompt over 2000 characters', { image: 'aGVsbG8=', prompt: 'x'.repeat(2001) }, /prompt/],
      ['an unknown field', { image: 'aGVsbG8=', language: 'en' }, /language should not exist/],
      ['junk in the base64', { image: 'iVBORw0KGgo!!!' }, /base64 alphabet/],
      ['a non-string image', { image: 42 }, /image must be a string/],
    ])('should refuse %s with 400 validation_failed and count nothing', async (_name, body, message) => {
      const answer = await postJson(gateway.url, key, body);
      expectError(answer, 400, 'validation_failed');
      expect(answer.body.error.message).toMatch(message);
    });

    it('should refuse malformed multipart requests with 400 validation_failed', async () => {
      const noFile = await postForm(gateway.url, key, {}, { mode: 'text' });
      expectError(noFile, 400, 'validation_failed');
      expect(noFile.body.error.message).toMatch(/image is required/);
      const wrongField = await postForm(gateway.url, key, { file: invoice });
      expectError(wrongField, 400, 'validation_failed');
      expect(wrongField.body.error.message).toMatch(/field image/);
      const badMode = await postForm(gateway.url, key, { image: invoice }, { mode: 'html' });
      expectError(badMode, 400, 'validation_failed');
    });

    it('should refuse a request without a valid key with 401 and a key without the ocr scope with 403', async () => {
      expectError(await postJson(gateway.url, undefined, { image: b64(invoice) }), 401, 'invalid_api_key');
      const wrong: TestKey = { id: 'x', plaintext: `ocr_${'a'.repeat(12)}_${'b'.repeat(43)}` };
      expectError(await postJson(gateway.url, wrong, { image: b64(invoice) }), 401, 'invalid_api_key');
      const adminOnly = await insertKey(dataSource, { scopes: ['admin'] });
      const forbidden = await postJson(gateway.url, adminOnly, { image: b64(invoice) });
      expectError(forbidden, 403, 'forbidden');
      expect(await usedToday(dataSource, adminOnly.id)).toBe(0);
    });

    it('should answer an unknown OCR route with 404 not_found', async () => {
      expectError(await postJson(gateway.url, key, {}, '/api/v1/ocr/pdf'), 404, 'not_found');
    });

    it('should refuse bodies and uploads over MAX_BODY_BYTES with 413 payload_too_large', async () => {
      const big = randomBytes(MAX_BODY_BYTES + 1024);
      expectError(await postJson(gateway.url, key, { image: b64(big) }), 413, 'payload_too_large');
      const upload = await postForm(gateway.url, key, { image: big });
      expectError(upload, 413, 'payload_too_large');
      expect(upload.body.error.message).toContain(String(MAX_BODY_BYTES));
    });

    it('should refuse a 400-megapixel image from its header with 413 image_too_large', async () => {
      const answer = await postJson(gateway.url, key, { image: b64(pngBomb()) });
      expectError(answer, 413, 'image_too_large');
    });

    it('should refuse other formats with 415 unsupported_media_type, sniffed from the bytes', async () => {
      const pdf = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n');
      expectError(await postForm(gateway.url, key, { image: pdf }), 415, 'unsupported_media_type');
      const declaredPng = await postJson(gateway.url, key, { image: `data:image/png;base64,${b64(pdf)}` });
      expectError(declaredPng, 415, 'unsupported_media_type');
      const textBody = await fetch(`${gateway.url}/api/v1/ocr`, {
        method: 'POST',
        headers: { 'x-api-key': key.plaintext, 'content-type': 'text/plain' },
        body: 'hello',
      });
      expect(textBody.status).toBe(415);
    });

    it('should refuse bytes that are no image with 422 invalid_image', async () => {
      expectError(await postJson(gateway.url, key, { image: b64(randomBytes(2048)) }), 422, 'invalid_image');
      expectError(
        await postJson(gateway.url, key, { image: b64(invoice.subarray(0, 30)) }),
        422,
        'invalid_image',
      );
    });

    it('should answer 429 rate_limited with Retry-After once the tier’s burst is spent', async () => {
      const slow = await insertKey(dataSource, { tier: 'slow' });
      const first = await postJson(gateway.url, slow, { image: 'not base64!' });
      expect(first.status).toBe(400);
      const limited = await postJson(gateway.url, slow, { image: b64(invoice) });
      expectError(limited, 429, 'rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('should answer 429 quota_exceeded with Retry-After until UTC midnight when the quota is spent', async () => {
      const spent = await insertKey(dataSource, { dailyLimit: 0 });
      const answer = await postJson(gateway.url, spent, { image: b64(invoice) });
      expectError(answer, 429, 'quota_exceeded');
      const retryAfter = Number(answer.headers.get('retry-after'));
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      expect(Math.abs(retryAfter - (midnight.getTime() - Date.now()) / 1000)).toBeLessThan(5);
      expect(answer.headers.get('x-ratelimit-remaining')).toBe('0');
    });
  });

  describe('URL images', () => {
    const url = (): string => `https://localhost:${imagePort}/invoice.png`;

    it('should fetch an https image from a host the configuration allows, trusting the configured CA', async () => {
      const fetched = await postJson(second.url, key, { image: url() });
      expectInvoice(fetched);
    });

    it('should refuse the same URL under the default configuration with 422 url_not_allowed', async () => {
      const refused = await postJson(gateway.url, key, { image: url() });
      expectError(refused, 422, 'url_not_allowed');
      expect(refused.body.error.message).not.toContain('127.0.0.1');
      expectError(
        await postJson(gateway.url, key, { image: 'http://example.com/a.png' }),
        422,
        'url_not_allowed',
      );
    });

    it('should answer 422 fetch_failed when the allowed server has no such image', async () => {
      const answer = await postJson(second.url, key, { image: `https://localhost:${imagePort}/missing.png` });
      expectError(answer, 422, 'fetch_failed');
    });
  });

  describe('the quota race through HTTP', () => {
    /** A key with a daily limit of 10 whose cache already holds the invoice, with no unit counted yet today. */
    async function warmKey(): Promise<TestKey> {
      const raced = await insertKey(dataSource, { dailyLimit: 10 });
      expect((await postJson(gateway.url, raced, { image: b64(invoice) })).status).toBe(200);
      // The warm-up unit is not part of the race: it starts from an untouched day.
      await dataSource.query(`DELETE FROM daily_usage WHERE lineage_id = $1`, [raced.id]);
      return raced;
    }

    function tally(answers: OcrAnswer[]): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const answer of answers) {
        const outcome = answer.status === 200 ? 'ok' : String(answer.body?.error?.code);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
      }
      return counts;
    }

    it('should admit exactly 10 of 30 concurrent requests against a daily limit of 10', async () => {
      const warm = await warmKey();
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => postJson(gateway.url, warm, { image: b64(invoice) })),
      );
      expect(tally(answers)).toEqual({ ok: 10, quota_exceeded: 20 });
      expect(answers.filter((a) => a.status === 200).every((a) => a.body.cached === true)).toBe(true);
      expect(await usedToday(dataSource, warm.id)).toBe(10);
    });

    it('should admit exactly 10 of 30 concurrent requests split across two gateway processes', async () => {
      const warm = await warmKey();
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          postJson(i % 2 === 0 ? gateway.url : second.url, warm, { image: b64(invoice) }),
        ),
      );
      expect(tally(answers)).toEqual({ ok: 10, quota_exceeded: 20 });
      expect(await usedToday(dataSource, warm.id)).toBe(10);
    });
  });

  describe('batch', () => {
    const batch = (batchKey: TestKey, body: unknown): Promise<OcrAnswer> =>
      postJson(gateway.url, batchKey, body, '/api/v1/ocr/batch');

    it('should answer every item in order, one error for the bad one, and count only the good ones', async () => {
      const batchKey = await insertKey(dataSource);
      const answer = await batch(batchKey, {
        images: [
          { image: b64(invoice), id: 'first' },
          { image: b64(randomBytes(512)), id: 'broken' },
          { image: `data:image/png;base64,${b64(invoice)}` },
        ],
      });
      expect(answer.status).toBe(200);
      const [first, broken, third] = answer.body.results;
      expect(answer.body.results).toHaveLength(3);
      expect(first).toEqual({
        id: 'first',
        result: expect.objectContaining({ text: expect.stringMatching(/INVOICE/) }),
      });
      expect(first.result.id).toBe(`${answer.headers.get('x-request-id')}.0`);
      expect(broken).toEqual({ id: 'broken', error: { code: 'invalid_image', message: expect.any(String) } });
      expect(third).toEqual({ result: expect.objectContaining({ text: expect.stringMatching(/TOTAL/) }) });
      expect(await usedToday(dataSource, batchKey.id)).toBe(2);
      expect(answer.headers.get('ratelimit')).toMatch(/"daily";r=99998;/);
    });

    it('should give quota_exceeded to the item where the quota runs out and to every later one', async () => {
      const batchKey = await insertKey(dataSource, { dailyLimit: 2 });
      const answer = await batch(batchKey, {
        images: [
          { image: b64(invoice), id: 'a' },
          { image: 'not base64 at all!', id: 'b' },
          { image: b64(invoice), id: 'c' },
          { image: b64(invoice), id: 'd' },
        ],
        mode: 'markdown',
      });
      expect(answer.status).toBe(200);
      const results = answer.body.results as Array<{
        id: string;
        result?: { markdown?: string };
        error?: { code: string; retryAfter?: number };
      }>;
      expect(results.map((r) => [r.id, r.result ? 'ok' : r.error?.code])).toEqual([
        ['a', 'ok'],
        ['b', 'validation_failed'],
        ['c', 'ok'],
        ['d', 'quota_exceeded'],
      ]);
      expect(results[0].result?.markdown).toContain('INVOICE');
      expect(results[3].error?.retryAfter).toBeGreaterThan(0);
      expect(await usedToday(dataSource, batchKey.id)).toBe(2);
    });

    it.each([
      ['no images', { images: [] }],
      [
        'more than BATCH_MAX images',
        { images: Array.from({ length: BATCH_MAX + 1 }, () => ({ image: 'aGVsbG8=' })) },
      ],
      ['an item without an image string', { images: [{ image: 'aGVsbG8=' }, { id: 'x' }] }],
      ['a bad mode', { images: [{ image: 'aGVsbG8=' }], mode: 'pdf' }],
    ])('should refuse a batch with %s as a whole with 400 validation_failed', async (_name, body) => {
      const answer = await batch(key, body);
      expectError(answer, 400, 'validation_failed');
    });
  });

  describe('documentation and metrics', () => {
    it('should document both request bodies, the result, the batch items and the errors in OpenAPI', async () => {
      const doc = (await (await fetch(`${gateway.url}/docs-json`)).json()) as {
        paths: Record<string, Record<string, Record<string, unknown>>>;
        components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      };
      const single = doc.paths['/api/v1/ocr'].post as {
        requestBody: { content: Record<string, { schema: { $ref: string } }> };
        responses: Record<string, unknown>;
        security: unknown[];
      };
      expect(Object.keys(single.requestBody.content).sort()).toEqual([
        'application/json',
        'multipart/form-data',
      ]);
      expect(single.requestBody.content['multipart/form-data'].schema.$ref).toMatch(/OcrUploadDto$/);
      expect(doc.components.schemas.OcrUploadDto.properties?.image).toMatchObject({
        type: 'string',
        format: 'binary',
      });
      expect(Object.keys(single.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '403', '413', '415', '422', '429', '500', '503', '504']),
      );
      expect(single.security).toEqual(expect.arrayContaining([{ 'api-key': [] }]));
      expect(doc.components.schemas.OcrResultDto.properties).toEqual(
        expect.objectContaining({
          id: expect.anything(),
          text: expect.anything(),
          lines: expect.anything(),
          cached: expect.anything(),
        }),
      );
      expect(doc.components.schemas.OcrLineDto.properties).toHaveProperty('words');
      expect(doc.components.schemas.OcrWordDto.properties).toEqual(
        expect.objectContaining({
          text: expect.anything(),
          confidence: expect.anything(),
          box: expect.anything(),
        }),
      );
      expect(doc.components.schemas.OcrRequestDto.properties?.format).toMatchObject({
        enum: ['json', 'hocr', 'alto'],
      });
      expect(Object.keys((single.responses['200'] as { content: object }).content).sort()).toEqual([
        'application/alto+xml',
        'application/json',
        'text/vnd.hocr+html',
      ]);
      expect(doc.paths['/api/v1/ocr/batch'].post).toBeDefined();
      expect(doc.components.schemas).toHaveProperty('OcrBatchFailureDto');
    });

    it('should count requests, images, worker calls and cache lookups', async () => {
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toMatch(/ocr_requests_total\{endpoint="single",outcome="ok"\} \d+/);
      expect(metrics).toMatch(/ocr_requests_total\{endpoint="single",outcome="validation_failed"\} \d+/);
      expect(metrics).toMatch(/ocr_images_total\{endpoint="batch",outcome="invalid_image"\} \d+/);
      expect(metrics).toMatch(/ocr_worker_request_duration_seconds_count\{outcome="ok"\} \d+/);
      expect(metrics).toMatch(/ocr_cache_lookups_total\{result="hit"\} \d+/);
    });
  });
});
