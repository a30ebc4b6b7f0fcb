import { Client } from 'pg';
import { createTestDatabase } from '../support/database';
import { createAdminKeyWithCli } from '../support/keys';
import {
  freePort,
  GatewayProcess,
  migrate,
  spawnBuilt,
  startGateway,
  startWorker,
  stopAll,
  waitForHttp,
  WorkerProcess,
} from '../support/processes';

// Real processes on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(120_000);

/**
 * The compiled gateway as clients meet it: error shape, request ids, body limits, security
 * headers, CORS, OpenAPI, metrics and health, against a real migrated Postgres database.
 */

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as unknown,
  };
}

function expectErrorShape(body: unknown, code: string, requestId: string | null): void {
  expect(body).toEqual({ error: { code, message: expect.any(String), requestId } });
  expect((body as ErrorBody).error.message.length).toBeGreaterThan(10);
}

describe('gateway platform', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gateway: GatewayProcess;
  let workerPort: number;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    admin = await createAdminKeyWithCli(db.url);
    workerPort = await freePort();
    gateway = await startGateway({ databaseUrl: db.url, workerPort });
  });

  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  it('should answer an unknown route with 404 in the contract shape', async () => {
    const res = await call(`${gateway.url}/no/such/route?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectErrorShape(res.json(), 'not_found', res.headers.get('x-request-id'));
    expect((res.json() as ErrorBody).error.message).toContain('GET /no/such/route');
  });

  it('should keep a sane client X-Request-Id and replace an unsafe one', async () => {
    const kept = await call(`${gateway.url}/nope`, { headers: { 'X-Request-Id': 'trace-42.a:b_c' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-42.a:b_c');
    expect((kept.json() as ErrorBody).error.requestId).toBe('trace-42.a:b_c');

    const replaced = await call(`${gateway.url}/nope`, {
      headers: { 'X-Request-Id': 'has spaces & <tags>' },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[A-Za-z0-9_-]+$/);

    const generated = await call(`${gateway.url}/health`);
    expect(generated.headers.get('x-request-id')).toMatch(/^req_[A-Za-z0-9_-]+$/);
  });

  it('should not read the body of a request without a valid key', async () => {
    const res = await call(`${gateway.url}/admin/v1/keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"name": "x",',
    });
    expect(res.status).toBe(401);
    expectErrorShape(res.json(), 'invalid_api_key', res.headers.get('x-request-id'));
  });

  it('should answer malformed JSON with 400 validation_failed', async () => {
    const res = await call(`${gateway.url}/admin/v1/keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': admin },
      body: '{"name": "x",',
    });
    expect(res.status).toBe(400);
    expectErrorShape(res.json(), 'validation_failed', res.headers.get('x-request-id'));
    expect((res.json() as ErrorBody).error.message).toBe('The request body is not valid JSON.');
  });

  it('should answer an unsupported content type with 415', async () => {
    const res = await call(`${gateway.url}/admin/v1/keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'X-API-Key': admin },
      body: 'hello',
    });
    expect(res.status).toBe(415);
    expectErrorShape(res.json(), 'unsupported_media_type', res.headers.get('x-request-id'));
  });

  it('should accept image bodies far above Express’s 100 kB default', async () => {
    const body = JSON.stringify({ image: 'a'.repeat(2 * 1024 * 1024) });
    const res = await call(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': admin },
      body,
    });
    // Parsed, then refused as an image: not by the body parser.
    expect(res.status).toBe(422);
    expectErrorShape(res.json(), 'invalid_image', res.headers.get('x-request-id'));
  });

  it('should answer a body above MAX_BODY_BYTES (16 MiB) with 413 payload_too_large', async () => {
    const body = `{"image":"${'A'.repeat(16 * 1024 * 1024)}"}`;
    const res = await call(`${gateway.url}/api/v1/ocr`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': admin },
      body,
    });
    expect(res.status).toBe(413);
    expectErrorShape(res.json(), 'payload_too_large', res.headers.get('x-request-id'));
  });

  it('should hold admin bodies to 16 KiB', async () => {
    const res = await call(`${gateway.url}/admin/v1/keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': admin },
      body: JSON.stringify({ name: 'x'.repeat(17 * 1024), tier: 'free' }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it("should set helmet's security headers and hide the framework", async () => {
    const res = await call(`${gateway.url}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    // Swagger UI must load over plain http on 127.0.0.1 too.
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('should let no page read an answer when no origin is configured, though the public API grants preflights', async () => {
    const res = await call(`${gateway.url}/health`, { headers: { Origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    // The preflight carries no key: the key's allowed origins decide on the request itself
    // (src/common/http/cors.ts; test/key-restrictions.e2e-spec.ts).
    const preflight = await call(`${gateway.url}/api/v1/ocr`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const admin = await call(`${gateway.url}/admin/v1/keys`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
    const unauthenticated = await call(`${gateway.url}/api/v1/usage`, {
      headers: { Origin: 'https://evil.example' },
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should publish an OpenAPI document with the security schemes and the error schema', async () => {
    const res = await call(`${gateway.url}/docs-json`);
    expect(res.status).toBe(200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: {
        securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }>;
        schemas: Record<string, unknown>;
      };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/metrics', '/admin/v1/keys']));
    expect(doc.paths['/health'].get.responses).toHaveProperty('503');
    expect(doc.components.securitySchemes['api-key']).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    );
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    expect(doc.components.schemas).toHaveProperty('ErrorResponseDto');
    const ui = await call(`${gateway.url}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('should expose Prometheus metrics with the request-duration histogram by route', async () => {
    await call(`${gateway.url}/health`);
    const res = await call(`${gateway.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health",status_code="\d{3}"\} \d+/,
    );
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\(unmatched\)",status_code="404"\} \d+/,
    );
  });

  it('should never log a presented key or a request body', async () => {
    // Assembled at run time so that no key-shaped literal sits in the repository.
    const secret = ['ocr', 'abcdefgh1234', 'ThisIsNotARealSecretButMustNotBeLogged0123456'].join('_');
    await call(`${gateway.url}/admin/v1/keys`, {
      method: 'POST',
      headers: {
        'X-API-Key': secret,
        'Content-Type': 'application/json',
        Cookie: 'session=cookie-value-xyz',
      },
      body: JSON.stringify({ name: 'body-marker-7781', tier: 'free' }),
    });
    await call(`${gateway.url}/admin/v1/keys`, { headers: { Authorization: `Bearer ${secret}` } });
    // The 401s are logged at warn, the level the test gateway runs at.
    expect(gateway.output()).toContain('"status":401');
    expect(gateway.output()).not.toContain('ThisIsNotARealSecret');
    expect(gateway.output()).not.toContain('cookie-value-xyz');
    expect(gateway.output()).not.toContain('body-marker-7781');
  });

  it('should answer /health with 503 naming the worker while no worker runs', async () => {
    const res = await call(`${gateway.url}/health`);
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({
      status: 'error',
      checks: {
        database: { status: 'up' },
        worker: { status: 'down', message: expect.any(String), workers: { inService: 0, configured: 1 } },
      },
    });
  });

  describe('with a real worker', () => {
    let worker: WorkerProcess;

    beforeAll(async () => {
      worker = await startWorker({ port: workerPort });
    });

    it('should answer /health with 200 once the worker listens', async () => {
      await waitForHttp(`${gateway.url}/health`, {
        process: gateway,
        accept: (status) => status === 200,
        timeoutMs: 30_000,
      });
      const res = await call(`${gateway.url}/health`);
      expect(res.json()).toEqual({
        status: 'ok',
        checks: {
          database: { status: 'up' },
          worker: expect.objectContaining({
            status: 'up',
            device: expect.stringMatching(/^(cpu|cuda)$/),
            model: expect.any(String),
          }),
        },
      });
    });

    it('should answer /health with 503 naming the database when it is gone', async () => {
      const admin = new Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
      await admin.connect();
      const name = new URL(db.url).pathname.slice(1);
      // Refuse new connections and end the gateway's: the pool cannot reach its database any more.
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      try {
        const res = await call(`${gateway.url}/health`);
        expect(res.status).toBe(503);
        expect(res.json()).toEqual({
          status: 'error',
          checks: {
            database: { status: 'down', message: expect.any(String) },
            worker: expect.objectContaining({ status: 'up' }),
          },
        });
      } finally {
        await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
        await admin.end();
      }
      await waitForHttp(`${gateway.url}/health`, {
        process: gateway,
        accept: (status) => status === 200,
        timeoutMs: 15_000,
      });
    });

    afterAll(async () => {
      await worker?.stop();
    });
  });
});

describe('gateway platform with CORS origins and a small body limit', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gateway: GatewayProcess;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.url);
    admin = await createAdminKeyWithCli(db.url);
    gateway = await startGateway({
      databaseUrl: db.url,
      env: { CORS_ORIGINS: 'https://app.example.com', MAX_BODY_BYTES: '4096' },
    });
  });

  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  it('should allow a configured origin and expose the request id', async () => {
    const preflight = await call(`${gateway.url}/api/v1/ocr`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'x-api-key,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
    const res = await call(`${gateway.url}/health`, { headers: { Origin: 'https://app.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
  });

  it('should not allow another origin', async () => {
    const res = await call(`${gateway.url}/health`, { headers: { Origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should apply MAX_BODY_BYTES', async () => {
    const fits = JSON.stringify({ image: 'a'.repeat(3000) });
    const tooLarge = JSON.stringify({ image: 'a'.repeat(5000) });
    const headers = { 'Content-Type': 'application/json', 'X-API-Key': admin };
    expect((await call(`${gateway.url}/api/v1/ocr`, { method: 'POST', headers, body: fits })).status).toBe(
      422,
    );
    const res = await call(`${gateway.url}/api/v1/ocr`, { method: 'POST', headers, body: tooLarge });
    expect(res.status).toBe(413);
    expect((res.json() as ErrorBody).error.message).toBe('The request body exceeds the limit of 4096 bytes.');
  });
});

describe('gateway start-up', () => {
  it('should refuse a bad variable with a message naming it and no stack', async () => {
    const gateway = spawnBuilt('gateway', ['src', 'main.js'], {
      PORT: 'eighty',
      DATABASE_URL: 'postgres://u:secret-pw@127.0.0.1:1/x',
    });
    const { code } = await gateway.exited;
    expect(code).toBe(78);
    expect(gateway.output()).toContain('PORT must be an integer number');
    expect(gateway.output()).not.toContain('secret-pw');
    expect(gateway.output()).not.toMatch(/\n\s+at /);
  });
});
