import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { requestIdMiddleware } from '../middleware/request-id.middleware';
import { createHttpLogger, routeOf } from './logger';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe(createHttpLogger.name, () => {
  function appWith(logged: ReturnType<typeof capture>): express.Express {
    const app = express();
    app.use(requestIdMiddleware);
    app.use(createHttpLogger(pino({ level: 'debug' }, logged.stream)));
    app.use(express.json());
    app.post('/admin/v1/keys/:id', (req, res) => {
      (req as express.Request & { apiKey?: { id: string } }).apiKey = { id: 'k3v9x2m1q8zt' };
      res.status(201).json({ ok: true });
    });
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    return app;
  }

  it('should write one line per request with id, method, path, route, status, duration and key id', async () => {
    const logged = capture();
    await request(appWith(logged))
      .post('/admin/v1/keys/abc?token=query-secret')
      .set('X-Request-Id', 'trace-1')
      .set('X-API-Key', 'ocr_abc_header-secret')
      .set('Authorization', 'Bearer bearer-secret')
      .set('Cookie', 'session=cookie-secret')
      .send({ name: 'body-secret' })
      .expect(201);
    const lines = logged.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual(
      expect.objectContaining({
        level: 30,
        requestId: 'trace-1',
        method: 'POST',
        path: '/admin/v1/keys/abc',
        route: '/admin/v1/keys/:id',
        status: 201,
        durationMs: expect.any(Number),
        keyId: 'k3v9x2m1q8zt',
        msg: 'request completed',
      }),
    );
    expect(JSON.stringify(lines)).not.toMatch(/secret/);
  });

  it('should log routine probes at debug level and client errors at warn', async () => {
    const logged = capture();
    const app = appWith(logged);
    await request(app).get('/health').expect(200);
    await request(app).get('/nowhere').expect(404);
    expect(logged.lines().map((line) => [line.path, line.level, line.route])).toEqual([
      ['/health', 20, '/health'],
      ['/nowhere', 40, undefined],
    ]);
  });
});

describe(routeOf.name, () => {
  it('should ignore wildcard patterns of middleware and the not-found catch-all', () => {
    const req = (path: string) => ({ route: { path } }) as never;
    expect(routeOf(req('/admin/v1/keys/:id'))).toBe('/admin/v1/keys/:id');
    expect(routeOf(req('/{*path}'))).toBeUndefined();
    expect(routeOf(req('/api/*path'))).toBeUndefined();
    expect(routeOf({} as never)).toBeUndefined();
  });
});
