import { ApiError } from '../common/errors/api-error';
import { WorkerConnectTimeoutError } from './worker-tcp.client';
import { isConnectionError, toWorkerApiError } from './worker-errors';

function withCode(code: string, message = 'socket failure'): Error {
  return Object.assign(new Error(message), { code });
}

function timeoutError(): Error {
  const error = new Error('Timeout has occurred');
  error.name = 'TimeoutError';
  return error;
}

describe(toWorkerApiError.name, () => {
  it.each([
    ['invalid_image', 422],
    ['image_too_large', 413],
    ['unsupported_media_type', 415],
  ] as const)('should pass the worker code %s on with status %d and its message', (code, status) => {
    const error = toWorkerApiError({ code, message: 'The image could not be decoded.' });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.getStatus()).toBe(status);
    expect(error.code).toBe(code);
    expect(error.message).toBe('The image could not be decoded.');
  });

  it('should answer worker_overloaded with 503 and Retry-After', () => {
    const error = toWorkerApiError({ code: 'worker_overloaded', message: 'busy' });
    expect(error.getStatus()).toBe(503);
    expect(error.code).toBe('worker_overloaded');
    expect(error.headers['Retry-After']).toBe('1');
  });

  it('should answer the worker’s timeout and the gateway’s deadline with 504 timeout', () => {
    expect(toWorkerApiError({ code: 'timeout', message: 'late' })).toMatchObject({ code: 'timeout' });
    const deadline = toWorkerApiError(timeoutError());
    expect(deadline.getStatus()).toBe(504);
    expect(deadline.code).toBe('timeout');
  });

  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['a closed connection', new Error('Connection closed')],
    ['a connect timeout', new WorkerConnectTimeoutError(800)],
  ])('should answer %s with 503 worker_unavailable', (_name, cause) => {
    const error = toWorkerApiError(cause);
    expect(error.getStatus()).toBe(503);
    expect(error.code).toBe('worker_unavailable');
    expect(error.headers['Retry-After']).toBeUndefined();
  });

  it('should hide anything else behind 500 internal_error', () => {
    const internal = toWorkerApiError({
      code: 'internal_error',
      message: 'Recognition failed at /srv/x.js:1',
    });
    expect(internal.getStatus()).toBe(500);
    expect(internal.message).not.toContain('/srv');
    const unknown = toWorkerApiError({
      status: 'error',
      message: 'There is no matching message handler defined in the remote service.',
    });
    expect(unknown.code).toBe('internal_error');
    expect(unknown.message).not.toMatch(/handler/);
    expect(toWorkerApiError(new TypeError('x is undefined')).code).toBe('internal_error');
  });
});

describe(isConnectionError.name, () => {
  it('should recognise socket failures and closed connections only', () => {
    expect(isConnectionError(withCode('EPIPE'))).toBe(true);
    expect(isConnectionError(new Error('Connection closed'))).toBe(true);
    expect(isConnectionError(new WorkerConnectTimeoutError(800))).toBe(true);
    expect(isConnectionError(timeoutError())).toBe(false);
    expect(isConnectionError({ code: 'worker_overloaded', message: 'busy' })).toBe(false);
    expect(isConnectionError(withCode('ERR_SOMETHING'))).toBe(false);
  });
});
