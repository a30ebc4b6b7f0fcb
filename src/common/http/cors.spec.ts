import type { NextFunction, Request, Response } from 'express';
import { corsMiddleware } from './cors';

interface Outcome {
  headers: Record<string, string>;
  status?: number;
  passedOn: boolean;
}

function run(
  listed: string[],
  request: { method?: string; path: string; headers: Record<string, string> },
): Outcome {
  const outcome: Outcome = { headers: {}, passedOn: false };
  const response = {
    setHeader: (name: string, value: string) => (outcome.headers[name.toLowerCase()] = value),
    vary: (field: string) => (outcome.headers.vary = field),
    status: (code: number) => {
      outcome.status = code;
      return response;
    },
    end: () => undefined,
  };
  corsMiddleware(listed)(
    { method: 'GET', ...request } as unknown as Request,
    response as unknown as Response,
    (() => (outcome.passedOn = true)) as NextFunction,
  );
  return outcome;
}

const preflight = (origin: string): Record<string, string> => ({
  origin,
  'access-control-request-method': 'POST',
});

describe('corsMiddleware', () => {
  it('should leave a request without Origin alone', () => {
    expect(run(['https://a.example'], { path: '/api/v1/ocr', headers: {} })).toEqual({
      headers: {},
      passedOn: true,
    });
  });

  it('should grant any origin a preflight on the public API, without credentials', () => {
    const outcome = run([], {
      method: 'OPTIONS',
      path: '/api/v1/ocr',
      headers: preflight('https://any.example'),
    });
    expect(outcome.status).toBe(204);
    expect(outcome.passedOn).toBe(false);
    expect(outcome.headers['access-control-allow-origin']).toBe('https://any.example');
    expect(outcome.headers['access-control-allow-methods']).toBe('GET, POST');
    expect(outcome.headers['access-control-allow-credentials']).toBeUndefined();
    expect(outcome.headers.vary).toBe('Origin');
  });

  it('should answer preflights elsewhere only for CORS_ORIGINS', () => {
    const refused = run([], {
      method: 'OPTIONS',
      path: '/admin/v1/keys',
      headers: preflight('https://any.example'),
    });
    expect(refused.passedOn).toBe(true);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const listed = run(['https://a.example'], {
      method: 'OPTIONS',
      path: '/admin/v1/keys',
      headers: preflight('https://a.example'),
    });
    expect(listed.status).toBe(204);
    expect(listed.headers['access-control-allow-methods']).toContain('PATCH');
  });

  it('should let CORS_ORIGINS read answers, and leave other origins to the key', () => {
    const listed = run(['https://a.example'], { path: '/health', headers: { origin: 'https://a.example' } });
    expect(listed.passedOn).toBe(true);
    expect(listed.headers['access-control-allow-origin']).toBe('https://a.example');
    expect(listed.headers['access-control-expose-headers']).toContain('Retry-After');
    const other = run(['https://a.example'], {
      path: '/api/v1/usage',
      headers: { origin: 'https://b.example' },
    });
    expect(other.passedOn).toBe(true);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
