import { gzipSync } from 'node:zlib';

/**
 * Hostile requests and what the gateway must answer to each: a 4xx in the contract's shape, in
 * bounded time, never a 500. A new attack is one more entry. `raw` entries are written to a
 * socket as they are (Node's own parser refuses them before any route runs).
 */

export interface AttackContext {
  /** A valid key with the `ocr` and `admin` scopes. */
  key: string;
}

export interface HttpAttack {
  kind: 'http';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawAttack {
  kind: 'raw';
  bytes: Buffer;
}

export interface CorpusEntry {
  name: string;
  build: (context: AttackContext) => HttpAttack | RawAttack;
  status: number;
  code: string;
  /** Loop it in the freeze test (a body that used to cost the gateway seconds, or a stack). */
  heavy?: boolean;
}

const json = (key?: string): Record<string, string> => ({
  'content-type': 'application/json',
  ...(key === undefined ? {} : { 'x-api-key': key }),
});

function post(path: string, headers: Record<string, string>, body: string | Buffer): HttpAttack {
  return {
    kind: 'http',
    method: 'POST',
    path,
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  };
}

/** Cached: some bodies are megabytes, built once per run. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const hugeBatch = once(() => `{"images":[${Array(300_000).fill('{}').join(',')}]}`);
const manyProperties = once(() => `{${Array.from({ length: 100_000 }, (_, i) => `"p${i}":1`).join(',')}}`);
const fifteenMegabytes = once(() => `[${Array(5_000_000).fill('0').join(',')}]`);
const deepArray = once(() => `${'['.repeat(5000)}${']'.repeat(5000)}`);
const deepBatch = once(() => `{"images":[${'{"image":'.repeat(5000)}"x"${'}'.repeat(5000)}]}`);
const deepKeyBody = once(() => `${'{"name":'.repeat(1500)}1${'}'.repeat(1500)}`);

export const CORPUS: CorpusEntry[] = [
  {
    name: 'a batch of 300 000 empty items',
    build: ({ key }) => post('/api/v1/ocr/batch', json(key), hugeBatch()),
    status: 400,
    code: 'validation_failed',
    heavy: true,
  },
  {
    name: '100 000 unknown properties on /api/v1/ocr',
    build: ({ key }) => post('/api/v1/ocr', json(key), manyProperties()),
    status: 400,
    code: 'validation_failed',
    heavy: true,
  },
  {
    name: '15 MB of JSON to an unknown path, without a key',
    build: () => post('/nonexistent', json(), fifteenMegabytes()),
    status: 404,
    code: 'not_found',
    heavy: true,
  },
  {
    name: '15 MB of JSON to POST /health, without a key',
    build: () => post('/health', json(), fifteenMegabytes()),
    status: 404,
    code: 'not_found',
    heavy: true,
  },
  {
    name: '15 MB of JSON to /api/v1/ocr, without a key',
    build: () => post('/api/v1/ocr', json(), fifteenMegabytes()),
    status: 401,
    code: 'invalid_api_key',
    heavy: true,
  },
  {
    name: 'a GET with a body',
    build: ({ key }) => ({
      kind: 'http',
      method: 'GET',
      path: '/api/v1/usage',
      headers: json(key),
      body: Buffer.from('{'),
    }),
    status: 200,
    code: '',
  },
  {
    name: '5 000 nested arrays to /api/v1/ocr',
    build: ({ key }) => post('/api/v1/ocr', json(key), deepArray()),
    status: 400,
    code: 'validation_failed',
    heavy: true,
  },
  {
    name: '5 000 nested objects in a batch item',
    build: ({ key }) => post('/api/v1/ocr/batch', json(key), deepBatch()),
    status: 400,
    code: 'validation_failed',
    heavy: true,
  },
  {
    name: '1 500 nested objects to POST /admin/v1/keys',
    build: ({ key }) => post('/admin/v1/keys', json(key), deepKeyBody()),
    status: 400,
    code: 'validation_failed',
    heavy: true,
  },
  {
    name: 'a property name of 10 000 bytes',
    build: ({ key }) => post('/api/v1/ocr', json(key), `{"${'k'.repeat(10_000)}":1}`),
    status: 400,
    code: 'validation_failed',
  },
  ...(['gzip', 'br', 'deflate'] as const).map((encoding): CorpusEntry => ({
    name: `Content-Encoding: ${encoding} over plain bytes`,
    build: ({ key }) => post('/api/v1/ocr', { ...json(key), 'content-encoding': encoding }, '{"image":"x"}'),
    status: 400,
    code: 'validation_failed',
    heavy: true,
  })),
  {
    name: 'a truncated gzip body',
    build: ({ key }) =>
      post(
        '/api/v1/ocr',
        { ...json(key), 'content-encoding': 'gzip' },
        gzipSync('{"image":"x"}').subarray(0, 12),
      ),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'an unknown Content-Encoding',
    build: ({ key }) => post('/api/v1/ocr', { ...json(key), 'content-encoding': 'zip-bomb' }, '{}'),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a gzip bomb past the body limit',
    build: ({ key }) =>
      post(
        '/admin/v1/keys',
        { ...json(key), 'content-encoding': 'gzip' },
        gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)),
      ),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'a NUL character in a new key name',
    build: ({ key }) => post('/admin/v1/keys', json(key), '{"name":"a\\u0000b","tier":"free"}'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a NUL character in a changed key name',
    build: ({ key }) => ({
      kind: 'http',
      method: 'PATCH',
      path: `/admin/v1/keys/${key.split('_')[1]}`,
      headers: json(key),
      body: Buffer.from('{"name":"a\\u0000b"}'),
    }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a bidirectional override and an unpaired surrogate in a key name',
    build: ({ key }) => post('/admin/v1/keys', json(key), '{"name":"\\u202egnp.exe\\ud800","tier":"free"}'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a tier name with a control character',
    build: ({ key }) => post('/admin/v1/keys', json(key), '{"name":"x","tier":"fr\\u0001ee"}'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a prototype-pollution body',
    build: ({ key }) =>
      post('/admin/v1/keys', json(key), '{"name":"x","tier":"free","__proto__":{"admin":true}}'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'application/*+json is parsed like JSON',
    build: ({ key }) =>
      post('/api/v1/ocr', { 'content-type': 'application/vnd.api+json', 'x-api-key': key }, '{"mode":"pdf"}'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a UTF-16 JSON body',
    build: ({ key }) =>
      post(
        '/api/v1/ocr',
        { 'content-type': 'application/json; charset=utf-16le', 'x-api-key': key },
        Buffer.from('{}', 'utf16le'),
      ),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'text/plain to /api/v1/ocr',
    build: ({ key }) => post('/api/v1/ocr', { 'content-type': 'text/plain', 'x-api-key': key }, 'hello'),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a multipart form with 1 000 fields',
    build: ({ key }) =>
      multipart(
        key,
        Array.from({ length: 1000 }, (_, i) => [`f${i}`, 'x']),
      ),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a multipart text field of 1 MB',
    build: ({ key }) => multipart(key, [['prompt', 'p'.repeat(1024 * 1024)]]),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a multipart body without its closing boundary',
    build: ({ key }) => {
      const attack = multipart(key, [['mode', 'text']]);
      return { ...attack, body: attack.body?.subarray(0, attack.body.length - 10) };
    },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'headers past the header limit',
    build: () => raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    status: 431,
    code: 'headers_too_large',
  },
  {
    name: 'a control character in a header',
    build: () => raw('GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'Content-Length and Transfer-Encoding together (request smuggling)',
    build: () =>
      raw(
        'POST /api/v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'an HTTP/1.1 request without Host',
    build: () => raw('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a request line that is not HTTP',
    build: () => raw('\u0000\u0001\u0002 garbage\r\n\r\n'),
    status: 400,
    code: 'validation_failed',
  },
];

function raw(text: string): RawAttack {
  return { kind: 'raw', bytes: Buffer.from(text, 'latin1') };
}

function multipart(key: string, fields: Array<[string, string]>): HttpAttack {
  const boundary = 'adversarial-boundary';
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return post(
    '/api/v1/ocr',
    { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-api-key': key },
    `${parts.join('')}--${boundary}--\r\n`,
  );
}
