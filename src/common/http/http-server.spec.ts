import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { loadConfig } from '../../config';
import { answerClientError, httpServerOptions } from './http-server';

function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    socket.write(bytes);
  });
}

describe(answerClientError.name, () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer(
      { maxHeaderSize: 1024, headersTimeout: 300, requestTimeout: 300, connectionsCheckingInterval: 50 },
      (_req, res) => res.end('ok'),
    );
    server.on('clientError', (error: Error, socket) => answerClientError(error, socket, 1024));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function parse(raw: string): { status: number; headers: string; body: { error: Record<string, string> } } {
    const [head, body] = raw.split('\r\n\r\n');
    return {
      status: Number(head.slice(9, 12)),
      headers: head,
      body: JSON.parse(body) as { error: Record<string, string> },
    };
  }

  it.each([
    [
      'headers too large',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    [
      'a bad header character',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n',
      400,
      'validation_failed',
    ],
  ])('should answer %s in the contract shape with a request id', async (_case, bytes, status, code) => {
    const answer = parse(await exchange(port, bytes));
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({
      error: { code, message: expect.any(String), requestId: expect.stringMatching(/^req_/) },
    });
    expect(answer.headers).toContain(`X-Request-Id: ${answer.body.error.requestId}`);
    expect(answer.headers).toContain('Connection: close');
  });

  it('should answer headers that never finish with 408 request_timeout', async () => {
    const answer = parse(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n'));
    expect(answer.status).toBe(408);
    expect(answer.body.error.code).toBe('request_timeout');
  });
});

describe(httpServerOptions.name, () => {
  it('should take its limits from the configuration and check timeouts every second at most', () => {
    expect(httpServerOptions(loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '3000' }, '/'))).toEqual({
      headersTimeout: 3000,
      requestTimeout: 60_000,
      keepAliveTimeout: 5000,
      maxHeaderSize: 16_384,
      connectionsCheckingInterval: 1000,
      requireHostHeader: false,
    });
  });
});
