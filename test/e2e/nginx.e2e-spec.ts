import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/database';
import {
  DISTRIBUTION_NGINX_CONF,
  installedConf,
  nginxBinary,
  nginxVersion,
  replaceOnce,
  SHIPPED_SERVER_NAME,
  startNginx,
  testConfiguration,
  type Certificate,
  type NginxProcess,
} from '../support/nginx';
import { insertKey, openDatabase, selfSignedCertificate, type TestKey } from '../support/ocr';
import { startGateway, stopAll, type GatewayProcess } from '../support/processes';

jest.setTimeout(180_000);

/** The gateway's default MAX_BODY_BYTES, which deploy/nginx.conf's client_max_body_size is sized for. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** nginx's own error bodies name the id it passed on: the client's sane one, or `req_` + 32 hex digits. */
const NGINX_REQUEST_ID = /^req_[0-9a-f]{32}$/;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * deploy/nginx.conf as an operator installs it: `nginx -t` inside the distribution's own
 * nginx.conf, then the same file running in front of a real gateway, answering its own errors in
 * the contract's shape.
 */
describe('deploy/nginx.conf (real nginx, real gateway)', () => {
  let binary: string;
  let dir: string;
  let certificate: Certificate;
  let ca: Buffer;
  let agent: Agent;
  let db: { url: string; drop: () => Promise<void> };
  let dataSource: DataSource;
  let key: TestKey;
  let gateway: GatewayProcess;
  let nginx: NginxProcess;

  /** One HTTPS request to nginx, trusting only this run's certificate. */
  function send(
    path: string,
    options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: nginx.tlsPort,
          servername: SHIPPED_SERVER_NAME,
          ca,
          agent,
          method: options.method ?? 'GET',
          path,
          headers: { host: SHIPPED_SERVER_NAME, ...options.headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const json = (res.headers['content-type'] ?? '').startsWith('application/json');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              body: json ? JSON.parse(text) : undefined,
            });
          });
        },
      );
      // nginx may answer 413 and close while a large body is still being written: the answer counts.
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** nginx's own error: the status, the contract's JSON shape and the id it also sent as a header. */
  function expectNginxError(reply: Reply, status: number, code: string): void {
    expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({ status, code });
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.body).toEqual({
      error: { code, message: expect.any(String), requestId: reply.headers['x-request-id'] },
    });
    expect(reply.headers['x-request-id']).toMatch(NGINX_REQUEST_ID);
    // Not the gateway's: it would have added its rate-limit and security headers.
    expect(reply.headers['x-content-type-options']).toBeUndefined();
  }

  function multipart(file: Buffer): { body: Buffer; headers: Record<string, string> } {
    const boundary = `----secure-ocr-${randomBytes(8).toString('hex')}`;
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="scan.png"\r\nContent-Type: image/png\r\n\r\n`;
    return {
      body: Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-api-key': key.plaintext },
    };
  }

  beforeAll(async () => {
    // Fails (never skips) without nginx: .ci/run installs it.
    binary = nginxBinary();
    console.log(`nginx ${nginxVersion(binary)}`);
    dir = mkdtempSync(join(tmpdir(), 'ocr-nginx-e2e-'));
    certificate = selfSignedCertificate(dir, [SHIPPED_SERVER_NAME]);
    ca = readFileSync(certificate.certFile);
    agent = new Agent({ keepAlive: true, maxSockets: 16 });

    db = await createTestDatabase();
    dataSource = await openDatabase(db.url);
    key = await insertKey(dataSource);
    gateway = await startGateway({
      databaseUrl: db.url,
      env: {
        TRUST_PROXY: 'loopback',
        TIERS: JSON.stringify({ test: { rps: 1000, burst: 1000, daily: 100_000 } }),
        IP_RATE_LIMIT_RPS: '0',
      },
      timeoutMs: 90_000,
    });
    nginx = await startNginx({ binary, dir, certificate, gatewayPorts: [gateway.port] });
  });

  afterAll(async () => {
    agent?.destroy();
    await stopAll();
    await dataSource?.destroy();
    await db?.drop();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should pass nginx -t inside the distribution nginx.conf, beside its default site', () => {
    let main: string;
    try {
      main = readFileSync(DISTRIBUTION_NGINX_CONF, 'utf8');
    } catch {
      throw new Error(`${DISTRIBUTION_NGINX_CONF} is missing: install nginx from the distribution's package`);
    }
    const conf = join(dir, 'installed.conf');
    writeFileSync(conf, installedConf(dir, certificate));
    const mainFile = join(dir, 'distribution-nginx.conf');
    writeFileSync(mainFile, replaceOnce(main, 'include /etc/nginx/conf.d/*.conf;', `include ${conf};`));

    const { code, output } = testConfiguration(binary, mainFile);

    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('test is successful') });
    // Newer nginx (1.25.1+) only deprecates `listen ... http2`; nothing else may warn.
    const warnings = output.split('\n').filter((line) => /\[(warn|emerg|alert|crit)\]/.test(line));
    expect(warnings.filter((line) => !line.includes('"listen ... http2" directive is deprecated'))).toEqual(
      [],
    );
  });

  it('should speak HTTP/2 and TLS 1.3 with the certificate', async () => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: nginx.tlsPort,
      servername: SHIPPED_SERVER_NAME,
      ca,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    expect({ alpn: socket.alpnProtocol, tls: socket.getProtocol() }).toEqual({ alpn: 'h2', tls: 'TLSv1.3' });
    socket.destroy();
  });

  it('should redirect plain HTTP to HTTPS on the configured name', async () => {
    const reply = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
      httpRequest(
        {
          host: '127.0.0.1',
          port: nginx.httpPort,
          path: '/api/v1/usage?days=3',
          headers: { host: 'evil.example' },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        },
      )
        .on('error', reject)
        .end();
    });
    expect(reply).toEqual({ status: 301, location: `https://${SHIPPED_SERVER_NAME}/api/v1/usage?days=3` });
  });

  it('should pass requests to the gateway with one request id for nginx, the gateway and the client', async () => {
    const own = await send('/api/v1/usage');
    expect(own.status).toBe(401);
    expect(own.body).toEqual({
      error: { code: 'invalid_api_key', message: expect.any(String), requestId: own.headers['x-request-id'] },
    });
    // The gateway kept the id nginx made, and nginx logged the same one.
    const id = own.headers['x-request-id'] as string;
    expect(id).toMatch(NGINX_REQUEST_ID);
    const logged = await loggedLine(id);
    expect(logged).toMatchObject({
      requestId: id,
      status: 401,
      path: '/api/v1/usage',
      upstreamStatus: '401',
    });

    const clients = await send('/api/v1/usage', { headers: { 'x-request-id': 'trace-42.a:b' } });
    expect(clients.headers['x-request-id']).toBe('trace-42.a:b');
    expect(clients.body.error.requestId).toBe('trace-42.a:b');

    // A hostile id is replaced before it reaches a header, a log line or a JSON body.
    const hostile = await send('/metrics', { headers: { 'x-request-id': 'x","code":"owned' } });
    expectNginxError(hostile, 404, 'not_found');
  });

  it('should answer 404 for /metrics in every spelling the gateway would route, which it serves directly', async () => {
    for (const path of [
      '/metrics',
      '/METRICS',
      '/metrics/',
      '//metrics',
      '/metrics?format=x',
      '/x/../metrics',
    ]) {
      expectNginxError(await send(path), 404, 'not_found');
    }
    const direct = await fetch(`${gateway.url}/metrics`);
    await direct.arrayBuffer();
    expect(direct.status).toBe(200);
  });

  it('should let a file just under MAX_BODY_BYTES reach the gateway through multipart, and stop larger bodies itself', async () => {
    const justUnder = multipart(
      Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(MAX_BODY_BYTES - 1024)]),
    );
    const under = await send('/api/v1/ocr', { method: 'POST', ...justUnder });
    // The gateway read the whole file and judged the image (not the size).
    expect(under.body?.error?.code).not.toBe('payload_too_large');
    expect(under.status).toBeGreaterThanOrEqual(400);
    expect(under.headers['ratelimit-policy']).toBeDefined();

    const over = await send('/api/v1/ocr', { method: 'POST', ...multipart(randomBytes(MAX_BODY_BYTES + 1)) });
    expect(over.status).toBe(413);
    expect(over.body.error).toEqual({
      code: 'payload_too_large',
      message: `The image is larger than the limit of ${MAX_BODY_BYTES} bytes.`,
      requestId: over.headers['x-request-id'],
    });
    expect(over.headers['ratelimit-policy']).toBeDefined();

    const tooLarge = await send('/api/v1/ocr', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
      body: Buffer.alloc(18 * 1024 * 1024, 0x20),
    });
    expectNginxError(tooLarge, 413, 'payload_too_large');
  });

  it('should answer a request with oversized headers with a JSON 400', async () => {
    expectNginxError(
      await send('/api/v1/usage', { headers: { 'x-padding': 'a'.repeat(20_000) } }),
      400,
      'validation_failed',
    );
  });

  it('should answer 502 in the contract shape while no gateway runs, then 429 to a flood from one address', async () => {
    await gateway.stop();
    const down = await send('/api/v1/usage', { headers: { 'x-api-key': key.plaintext } });
    expectNginxError(down, 502, 'service_unavailable');
    expect(down.headers['retry-after']).toBe('1');

    // 61 requests pass at once (burst 60, nodelay), then 30 a second: 400 at 16 at a time outrun it.
    const replies: Reply[] = [];
    for (let i = 0; i < 400; i += 16) {
      replies.push(...(await Promise.all(Array.from({ length: 16 }, () => send('/api/v1/usage')))));
    }
    const limited = replies.filter((reply) => reply.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((reply) => reply.status !== 429).every((reply) => reply.status === 502)).toBe(true);
    for (const reply of limited) {
      expectNginxError(reply, 429, 'rate_limited');
      expect(reply.headers['retry-after']).toBe('1');
    }
  });

  /** nginx's access log line for `requestId` (written once the response is sent). */
  async function loggedLine(requestId: string): Promise<unknown> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const line = readFileSync(nginx.accessLog, 'utf8')
        .split('\n')
        .find((entry) => entry.includes(`"requestId":"${requestId}"`));
      if (line) {
        return JSON.parse(line);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no access log line for ${requestId}`);
  }
});
