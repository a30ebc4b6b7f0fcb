import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { hash } from 'bcrypt';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { generateApiKey } from '../../src/api-keys/api-key-format';
import { built } from './paths';

/** Helpers of the OCR API specs: keys straight in the database, images rendered here, requests. */

export interface TestKey {
  id: string;
  plaintext: string;
}

export interface OcrAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
  ms: number;
}

/** A migrated database of the spec's own, through TypeORM (for keys and usage rows). */
export async function openDatabase(url: string): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: [built('migrations', '*.js')],
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
}

/** A key written directly (bcrypt cost 4: fast), its own lineage. */
export async function insertKey(
  dataSource: DataSource,
  options: { tier?: string; scopes?: string[]; dailyLimit?: number | null } = {},
): Promise<TestKey> {
  const { id, plaintext } = generateApiKey();
  await dataSource.query(
    `INSERT INTO api_keys (id, lineage_id, name, tier, scopes, key_hash, daily_limit)
     VALUES ($1, $1, $2, $3, $4, $5, $6)`,
    [
      id,
      `ocr test ${id}`,
      options.tier ?? 'test',
      options.scopes ?? ['ocr'],
      await hash(plaintext, 4),
      options.dailyLimit ?? null,
    ],
  );
  return { id, plaintext };
}

/** Units used today by the key's lineage, as the database counts them. */
export async function usedToday(dataSource: DataSource, lineageId: string): Promise<number> {
  const rows = await dataSource.query<Array<{ used: number }>>(
    `SELECT used FROM daily_usage WHERE lineage_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
    [lineageId],
  );
  return rows[0]?.used ?? 0;
}

/** Black text on white, one `<text>` per line; DejaVu Sans is what sharp's librsvg finds here. */
export function svgPage(lines: string[], width: number, lineHeight = 56, fontSize = 36): Buffer {
  const height = lineHeight * (lines.length + 1);
  const texts = lines
    .map(
      (line, i) =>
        `<text x="40" y="${lineHeight * (i + 1)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}">${line}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${texts}</svg>`,
  );
}

export function renderPng(lines: string[], width = 640): Promise<Buffer> {
  return sharp(svgPage(lines, width)).png().toBuffer();
}

/** A PNG whose header honestly declares side x side pixels (1 bit each): tiny on the wire. */
export function pngBomb(side = 20_000): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.writeUInt8(1, 8);
  header.writeUInt8(0, 9);
  const rows = Buffer.alloc((1 + Math.ceil(side / 8)) * side);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

async function answer(response: Response, started: number): Promise<OcrAnswer> {
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    headers: response.headers,
    ms: Date.now() - started,
  };
}

/** A JSON POST to `path` (default the single-image endpoint) with the key in X-API-Key. */
export async function postJson(
  baseUrl: string,
  key: TestKey | undefined,
  body: unknown,
  path = '/api/v1/ocr',
): Promise<OcrAnswer> {
  const started = Date.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key.plaintext } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(response, started);
}

/** A multipart/form-data POST: `files` as file fields, `fields` as text fields. */
export async function postForm(
  baseUrl: string,
  key: TestKey,
  files: Record<string, Buffer>,
  fields: Record<string, string> = {},
): Promise<OcrAnswer> {
  const form = new FormData();
  for (const [name, bytes] of Object.entries(files)) {
    form.append(name, new Blob([bytes], { type: 'application/octet-stream' }), `${name}.bin`);
  }
  for (const [name, value] of Object.entries(fields)) {
    form.append(name, value);
  }
  const started = Date.now();
  const response = await fetch(`${baseUrl}/api/v1/ocr`, {
    method: 'POST',
    headers: { 'x-api-key': key.plaintext },
    body: form,
  });
  return answer(response, started);
}

/** A self-signed certificate for `names` (and its key) written into `dir`; the cert is its own CA. */
export function selfSignedCertificate(
  dir: string,
  names: string[] = ['localhost'],
): { keyFile: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`,
    ],
    { stdio: 'ignore' },
  );
  return { keyFile, certFile };
}

/** The contract's error body, with the request id it must carry. */
export function expectError(answer: OcrAnswer, status: number, code: string): void {
  expect({
    status: answer.status,
    code: (answer.body as { error?: { code?: string } })?.error?.code,
  }).toEqual({
    status,
    code,
  });
  expect(answer.body).toEqual({
    error: { code, message: expect.any(String), requestId: answer.headers.get('x-request-id') },
  });
}
