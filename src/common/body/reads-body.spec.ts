import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import express from 'express';
import { of } from 'rxjs';
import request from 'supertest';
import { loadConfig } from '../../config';
import { ApiError } from '../errors/api-error';
import { ADMIN_BODY_BYTES, BodyInterceptor, ReadsBody } from './reads-body';

class Routes {
  @ReadsBody('image', { multipart: true })
  image(): void {}

  @ReadsBody('admin')
  admin(): void {}

  plain(): void {}
}

/** An Express app whose routes run the interceptor the way Nest would, before the handler. */
function app(): express.Express {
  const interceptor = new BodyInterceptor(new Reflector(), loadConfig({ MAX_BODY_BYTES: '65536' }, '/'));
  const server = express();
  for (const name of ['image', 'admin', 'plain'] as const) {
    server.post(`/${name}`, (req, res) => {
      const context = {
        getHandler: () => Routes.prototype[name],
        switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
      } as unknown as ExecutionContext;
      interceptor.intercept(context, { handle: () => of(undefined) }).then(
        () => res.json({ body: req.body as unknown }),
        (error: ApiError) => res.status(error.getStatus()).json({ code: error.code, message: error.message }),
      );
    });
  }
  return server;
}

describe(BodyInterceptor.name, () => {
  const server = app();

  it('should parse JSON and its +json subtypes on a route that reads a body', async () => {
    await request(server)
      .post('/image')
      .send({ image: 'x' })
      .expect(200, { body: { image: 'x' } });
    await request(server)
      .post('/admin')
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"name":"n"}')
      .expect(200, { body: { name: 'n' } });
  });

  it('should never read the body of a route that does not declare one', async () => {
    const res = await request(server).post('/plain').set('Content-Type', 'text/plain').send('{oops');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
  });

  it('should leave multipart to the upload interceptor where allowed, and refuse it elsewhere', async () => {
    await request(server).post('/image').field('mode', 'text').expect(200, {});
    const refused = await request(server).post('/admin').field('mode', 'text').expect(415);
    expect(refused.body.code).toBe('unsupported_media_type');
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/json; charset=utf-16le', '{}'],
    ['application/x-www-form-urlencoded', 'a=1'],
  ])('should refuse %s with 415', async (type, body) => {
    const res = await request(server).post('/image').set('Content-Type', type).send(body).expect(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('should let a bodiless request through', async () => {
    await request(server).post('/admin').set('Content-Length', '0').expect(200, {});
  });

  it.each([
    ['too deep', `${'['.repeat(11)}${']'.repeat(11)}`, /nests deeper than 10/],
    ['too many members', `[${Array(1025).fill(0).join(',')}]`, /more than 1024/],
    ['a long property name', `{"${'k'.repeat(129)}":1}`, /longer than 128 bytes/],
    ['__proto__', '{"__proto__":{"admin":true}}', /property __proto__ is not allowed/],
    ['malformed JSON', '{"a":', /not valid JSON/],
  ])('should refuse a body with %s as 400 validation_failed', async (_case, body, message) => {
    const res = await request(server)
      .post('/image')
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: expect.stringMatching(message) });
  });

  it('should refuse a body that does not decompress with 400 validation_failed', async () => {
    const broken = await request(server)
      .post('/image')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"image":"x"}')
      .expect(400);
    expect(broken.body.code).toBe('validation_failed');
  });

  it('should hold admin routes to ADMIN_BODY_BYTES and image routes to MAX_BODY_BYTES', async () => {
    const big = JSON.stringify({ image: 'a'.repeat(ADMIN_BODY_BYTES) });
    await request(server).post('/admin').set('Content-Type', 'application/json').send(big).expect(413);
    await request(server).post('/image').set('Content-Type', 'application/json').send(big).expect(200);
  });
});
