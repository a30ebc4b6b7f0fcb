import express from 'express';
import request from 'supertest';
import { contentTypeMiddleware } from './content-type.middleware';

describe(contentTypeMiddleware.name, () => {
  const app = express();
  app.use(contentTypeMiddleware);
  app.post('/', (_req, res) => {
    res.status(204).end();
  });
  app.use(
    (
      error: { status?: number; code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(error.status ?? 500).json({ code: error.code });
    },
  );

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/merge-patch+json',
    'multipart/form-data; boundary=x',
  ])('should let %s through', async (type) => {
    await request(app).post('/').set('Content-Type', type).send('{}').expect(204);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'image/png'])(
    'should refuse %s with 415',
    async (type) => {
      const res = await request(app).post('/').set('Content-Type', type).send('x=1').expect(415);
      expect(res.body).toEqual({ code: 'unsupported_media_type' });
    },
  );

  it('should let a request without a body through', async () => {
    await request(app).post('/').expect(204);
  });
});
