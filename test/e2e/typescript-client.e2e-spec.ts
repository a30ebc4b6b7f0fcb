import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OcrApiError, OcrClient, OcrTimeoutError, type ResponseInfo } from '../../clients/typescript/src';
import { createTestDatabase } from '../support/database';
import { createAdminKeyWithCli } from '../support/keys';
import { openDatabase, renderPng } from '../support/ocr';
import { ROOT } from '../support/paths';
import { startGateway, startWorker, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(240_000);

const run = promisify(execFile);
const TYPES_FILE = join(ROOT, 'clients', 'typescript', 'src', 'openapi.ts');
const TIERS = {
  test: { rps: 1000, burst: 1000, daily: 100_000 },
  slow: { rps: 1, burst: 1, daily: 1000 },
  tiny: { rps: 1000, burst: 1000, daily: 1 },
};

/** clients/typescript against the real gateway and worker (and a second gateway without a worker). */
describe('TypeScript client (real gateway, worker and Postgres)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gateway: GatewayProcess;
  let workerless: GatewayProcess;
  let admin: OcrClient;
  let invoice: Buffer;
  let seen: ResponseInfo[];

  const client = (
    apiKey: string,
    options: Partial<ConstructorParameters<typeof OcrClient>[0]> = {},
  ): OcrClient =>
    new OcrClient({ baseUrl: gateway.url, apiKey, onResponse: (info) => seen.push(info), ...options });

  /** A key of `tier`; `seen` then holds only the answers that follow. */
  async function newKey(tier = 'test'): Promise<string> {
    const { key } = await admin.keys.create({ name: `client ${tier}`, tier, scopes: ['ocr'] });
    seen = [];
    return key;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await (await openDatabase(db.url)).destroy();
    const worker = await startWorker({ env: { OCR_LANES: '1' }, timeoutMs: 120_000 });
    const env = {
      IP_RATE_LIMIT_RPS: '0',
      TIERS: JSON.stringify(TIERS),
      TOKEN_SIGNING_KEYS: randomBytes(32).toString('base64url'),
    };
    [gateway, workerless] = await Promise.all([
      startGateway({ databaseUrl: db.url, workerPort: worker.port, env, timeoutMs: 90_000 }),
      startGateway({ databaseUrl: db.url, env, timeoutMs: 90_000 }),
    ]);
    seen = [];
    admin = client(await createAdminKeyWithCli(db.url));
    invoice = await renderPng(['INVOICE 2024', 'TOTAL 12.50']);
  });

  beforeEach(() => {
    seen = [];
  });

  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  it('should have committed types generated from the live document (UPDATE_CLIENT_TYPES=1 rewrites them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-types-'));
    try {
      const document = await (await fetch(`${gateway.url}/docs-json`)).text();
      writeFileSync(join(dir, 'openapi.json'), document);
      const bin = join(ROOT, 'node_modules', '.bin', 'openapi-typescript');
      await run(bin, [join(dir, 'openapi.json'), '-o', join(dir, 'openapi.ts')]);
      const generated = readFileSync(join(dir, 'openapi.ts'), 'utf8');
      if (process.env.UPDATE_CLIENT_TYPES === '1') {
        writeFileSync(TYPES_FILE, generated);
      }
      expect(readFileSync(TYPES_FILE, 'utf8')).toBe(generated);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should recognise an upload as multipart and as base64 JSON, and a batch with ids', async () => {
    const ocr = client(await newKey());
    const multipart = await ocr.recognize(new Blob([invoice], { type: 'image/png' }), { mode: 'markdown' });
    expect(multipart.text).toMatch(/INVOICE/);
    expect(multipart.markdown).toMatch(/TOTAL/);
    expect(multipart.lines[0].box).toHaveLength(4);
    const base64 = await ocr.recognize(new Uint8Array(invoice), { upload: 'base64', mode: 'markdown' });
    expect(base64.cached).toBe(true);
    const dataUri = await ocr.recognize(`data:image/png;base64,${invoice.toString('base64')}`);
    expect(dataUri.text).toBe(multipart.text);

    const batch = await ocr.recognizeBatch([
      { id: 'a', image: invoice },
      { id: 'b', image: 'bm90IGFuIGltYWdl' },
    ]);
    expect(batch.results.map((item) => [item.id, 'result' in item ? 'ok' : item.error.code])).toEqual([
      ['a', 'ok'],
      ['b', 'invalid_image'],
    ]);
    const usage = await ocr.getUsage(2);
    expect(usage.used).toBe(4);
    expect(usage.history).toHaveLength(2);
    expect(seen.at(-1)?.rateLimit.daily?.remaining).toBe(TIERS.test.daily - 4);
    expect(seen.at(-1)?.requestId).toMatch(/^req_/);
    expect((await ocr.getHealth()).status).toBe('ok');
  });

  it('should manage keys through every admin endpoint', async () => {
    const created = await admin.keys.create({ name: 'managed', tier: 'test' });
    expect(created.scopes).toEqual(['ocr']);
    expect((await admin.keys.list()).map((key) => key.id)).toContain(created.id);
    expect((await admin.keys.get(created.id)).name).toBe('managed');
    expect((await admin.keys.update(created.id, { name: 'renamed', dailyLimit: 5 })).dailyLimit).toBe(5);
    expect((await admin.keys.usage(created.id, 3)).items).toHaveLength(3);
    const rotated = await admin.keys.rotate(created.id);
    expect(rotated.rotatedFrom).toBe(created.id);
    await admin.keys.revoke(rotated.id);
    const refused = await client(rotated.key)
      .getUsage()
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OcrApiError);
    expect(refused).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(seen.filter((info) => info.status === 401)).toHaveLength(1);
  });

  it('should mint a short-lived token with a tokens key, and call the API with it as a bearer token', async () => {
    const { key } = await admin.keys.create({ name: 'backend', tier: 'test', scopes: ['ocr', 'tokens'] });
    const { token, expiresAt } = await client(key).createToken({ ttlSeconds: 60 });
    expect(token).toMatch(/^ocrt_/);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    const usage = await client(token).getUsage();
    expect(usage.used).toBe(0);
  });

  it('should wait out Retry-After on a 429 rate_limited and then succeed', async () => {
    const slow = client(await newKey('slow'));
    await slow.getUsage();
    const started = Date.now();
    await slow.getUsage();
    expect(seen.map((info) => info.status)).toEqual([200, 429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('should throw a used-up quota at once: its Retry-After is hours, not seconds', async () => {
    const tiny = client(await newKey('tiny'));
    await tiny.recognize(invoice);
    const error = (await tiny.recognize(invoice).catch((e: unknown) => e)) as OcrApiError;
    expect(error).toMatchObject({ status: 429, code: 'quota_exceeded' });
    expect(error.retryAfter).toBeGreaterThan(30);
    expect(error.rateLimit.daily?.remaining).toBe(0);
    expect(seen.map((info) => info.status)).toEqual([200, 429]);
  });

  it('should retry a 503 with backoff, and never another 4xx', async () => {
    const key = await newKey();
    const down = new OcrClient({
      baseUrl: workerless.url,
      apiKey: key,
      maxRetries: 2,
      retryDelayMs: 20,
      onResponse: (info) => seen.push(info),
    });
    const error = (await down.recognize(invoice).catch((e: unknown) => e)) as OcrApiError;
    expect(error).toMatchObject({ status: 503, code: 'worker_unavailable' });
    expect(seen.map((info) => info.status)).toEqual([503, 503, 503]);

    seen = [];
    const invalid = await down.recognize('').catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(seen).toHaveLength(1);
  });

  it('should give up after timeoutMs with OcrTimeoutError', async () => {
    const hasty = client(await newKey(), { timeoutMs: 5 });
    await expect(
      hasty.recognize(await renderPng(['A LONGER PAGE', 'WITH TWO LINES'])),
    ).rejects.toBeInstanceOf(OcrTimeoutError);
  });
});
