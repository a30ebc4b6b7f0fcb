import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestIdMiddleware } from './request-id.middleware';

function run(header?: string | string[]): { id: unknown; responseHeader?: string } {
  const req = {
    headers: header === undefined ? {} : { 'x-request-id': header },
  } as unknown as IncomingMessage & { id?: unknown };
  const headers: Record<string, string> = {};
  const res = {
    headersSent: false,
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
  } as unknown as ServerResponse;
  const next = jest.fn();
  requestIdMiddleware(req, res, next);
  expect(next).toHaveBeenCalledTimes(1);
  return { id: req.id, responseHeader: headers['X-Request-Id'] };
}

describe(requestIdMiddleware.name, () => {
  it('should keep a sane client request id', () => {
    expect(run('client-42.retry:1_A')).toEqual({
      id: 'client-42.retry:1_A',
      responseHeader: 'client-42.retry:1_A',
    });
  });

  it('should generate an id when the client sends none', () => {
    const { id, responseHeader } = run();
    expect(id).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
    expect(responseHeader).toBe(id);
  });

  it.each([
    ['spaces', 'two words'],
    ['a line break', 'abc\r\nSet-Cookie: x=1'],
    ['quotes', '"quoted"'],
    ['an empty string', ''],
    ['more than 128 characters', 'a'.repeat(129)],
    ['non-ASCII letters', 'réq'],
  ])('should replace an id with %s', (_label, header) => {
    const { id } = run(header);
    expect(id).toMatch(/^req_/);
    expect(id).not.toBe(header);
  });

  it('should accept 128 characters', () => {
    expect(run('a'.repeat(128)).id).toBe('a'.repeat(128));
  });

  it('should replace repeated headers', () => {
    expect(run(['one', 'two']).id).toMatch(/^req_/);
  });

  it('should give each request its own id', () => {
    expect(run().id).not.toBe(run().id);
  });
});
