import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { version } from '../../package.json';
import { createTestDatabase } from '../support/database';
import { openDatabase } from '../support/ocr';
import { ROOT } from '../support/paths';
import { startGateway, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(180_000);

const run = promisify(execFile);
const BATCH_MAX = 7;

/** A program an app developer would write against the generated types; it must type-check. */
const PROGRAM = `
import type { components, operations, paths } from './api';

type Schemas = components['schemas'];

const batch: Schemas['OcrBatchRequestDto'] = {
  images: [{ id: 'a', image: 'aGVsbG8=' }, { image: 'data:image/png;base64,aGVsbG8=' }],
  mode: 'markdown',
};

function describeResult(result: Schemas['OcrResultDto']): string {
  const [x, y] = result.lines[0].box[0];
  const confidences: number[] = result.lines.map((line) => line.confidence);
  const markdown: string | undefined = result.markdown;
  return \`\${result.text} at \${x + y}, \${confidences.length} lines, \${result.timing.totalMs} ms, \${markdown ?? ''}\`;
}

type BatchAnswer = paths['/api/v1/ocr/batch']['post']['responses'][200]['content']['application/json'];
function ids(answer: BatchAnswer): Array<string | undefined> {
  return answer.results.map((item) => ('result' in item ? item.id : \`\${item.id ?? ''}:\${item.error.code}\`));
}

type ApiError = operations['recognize']['responses'][429]['content']['application/json'];
const quota: ApiError = { error: { code: 'quota_exceeded', message: 'Used up.', requestId: 'req_1' } };
const retryAfter: operations['recognize']['responses'][429]['headers']['Retry-After'] = 30;
const requestId: operations['getUsage']['responses'][200]['headers']['X-Request-Id'] = 'req_1';

// @ts-expect-error: a code the contract does not have
const unknownCode: ApiError = { error: { code: 'nope', message: 'x', requestId: 'req_1' } };
// @ts-expect-error: extra properties are refused by the API, so by the types
const extra: Schemas['OcrBatchRequestDto'] = { images: [{ image: 'x' }], colour: true };

// Optional fields stay optional (a \`default\` would make openapi-typescript require them).
const created: operations['createKey']['requestBody']['content']['application/json'] = { name: 'app', tier: 'pro' };
const rotation: operations['rotateKey']['requestBody']['content']['application/json'] = {};
const minimal: Schemas['OcrBatchRequestDto'] = { images: [{ image: 'aGVsbG8=' }] };

export { batch, describeResult, ids, quota, retryAfter, requestId, unknownCode, extra, created, rotation, minimal };
`;

interface Document {
  info: { version: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes: Record<string, Record<string, unknown>>;
    headers: Record<string, unknown>;
  };
}
interface Operation {
  operationId: string;
  security?: unknown[];
  responses: Record<string, { headers?: Record<string, unknown> }>;
}
interface Schema {
  additionalProperties?: boolean;
  properties?: Record<string, Schema & { maxItems?: number; type?: string }>;
}

/** The live /docs-json as a generator sees it: openapi-typescript types that a real program compiles against. */
describe('OpenAPI document for client generators (real gateway)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gateway: GatewayProcess;
  let document: Document;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await (await openDatabase(db.url)).destroy();
    gateway = await startGateway({
      databaseUrl: db.url,
      env: { IP_RATE_LIMIT_RPS: '0', BATCH_MAX: String(BATCH_MAX) },
      timeoutMs: 90_000,
    });
    document = (await (await fetch(`${gateway.url}/docs-json`)).json()) as Document;
    dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
  });

  afterAll(async () => {
    await stopAll();
    await db?.drop();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const operations = (): Array<[string, Operation]> =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]): [string, Operation] => [
        `${method} ${path}`,
        operation,
      ]),
    );

  it('should generate types with openapi-typescript that a client program type-checks against', async () => {
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
    const bin = join(ROOT, 'node_modules', '.bin');
    await run(join(bin, 'openapi-typescript'), [join(dir, 'openapi.json'), '-o', join(dir, 'api.ts')]);
    writeFileSync(join(dir, 'program.ts'), PROGRAM);
    const tsc = run(join(bin, 'tsc'), [
      '--noEmit',
      '--strict',
      '--target',
      'ES2022',
      '--module',
      'commonjs',
      '--noUnusedLocals',
      join(dir, 'program.ts'),
    ]);
    await expect(
      tsc.catch((error: { stdout?: string }) => Promise.reject(new Error(error.stdout))),
    ).resolves.toBeDefined();
  });

  it('should name operations for people, not after controllers', () => {
    const ids = operations().map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'recognize',
        'recognizeBatch',
        'getUsage',
        'createKey',
        'listKeys',
        'revokeKey',
        'createToken',
      ]),
    );
    for (const id of ids) {
      expect(id).toMatch(/^[a-z][A-Za-z]+$/);
      expect(id).not.toMatch(/Controller/);
    }
  });

  it('should state the version, a server, an opaque bearer token, and the configured batch limit', () => {
    expect(document.info.version).toBe(version);
    expect(document.servers.length).toBeGreaterThan(0);
    expect(document.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    expect(document.components.securitySchemes.bearer).not.toHaveProperty('bearerFormat');
    const batch = document.components.schemas.OcrBatchRequestDto;
    expect(batch.properties?.images.maxItems).toBe(BATCH_MAX);
    expect(document.components.schemas.OcrBatchImageDto.properties?.id.type).toBe('string');
  });

  it('should close request schemas to extra properties and leave answers open', () => {
    for (const name of [
      'OcrBatchRequestDto',
      'OcrBatchImageDto',
      'OcrRequestDto',
      'OcrUploadDto',
      'CreateApiKeyDto',
      'CreateTokenDto',
    ]) {
      expect([name, document.components.schemas[name].additionalProperties]).toEqual([name, false]);
    }
    expect(document.components.schemas.OcrResultDto.additionalProperties).toBeUndefined();
  });

  it('should declare X-Request-Id everywhere, Retry-After on 429 and 503, rate-limit fields when authenticated', () => {
    for (const [name, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = Object.keys(response.headers ?? {});
        const where = `${name} ${status}`;
        expect([where, headers]).toEqual([where, expect.arrayContaining(['X-Request-Id'])]);
        if (status === '429' || status === '503') {
          expect([where, headers]).toEqual([where, expect.arrayContaining(['Retry-After'])]);
        }
        const limited = (operation.security ?? []).length > 0 && status !== '401';
        expect([where, headers.includes('RateLimit')]).toEqual([where, limited]);
      }
    }
    expect(Object.keys(document.components.headers)).toEqual(
      expect.arrayContaining(['X-Request-Id', 'Retry-After', 'RateLimit-Policy', 'X-RateLimit-Remaining']),
    );
  });

  it('should answer with the headers it declares', async () => {
    const response = await fetch(`${gateway.url}/api/v1/ocr/batch`, { method: 'POST' });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('ratelimit')).toBeNull();
  });
});
