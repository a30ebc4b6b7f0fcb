import { isWorkerErrorCode, isWorkerErrorPayload, WORKER_ERROR_CODES } from './ocr-worker.contract';

describe(isWorkerErrorCode.name, () => {
  it.each(WORKER_ERROR_CODES)('should know %s', (code) => {
    expect(isWorkerErrorCode(code)).toBe(true);
  });

  it.each([['rate_limited'], [''], [undefined], [7]])('should not take %p for a worker code', (value) => {
    expect(isWorkerErrorCode(value)).toBe(false);
  });
});

describe(isWorkerErrorPayload.name, () => {
  it('should take the plain object an RpcException of the worker arrives as', () => {
    expect(isWorkerErrorPayload({ code: 'image_too_large', message: 'Too many pixels.' })).toBe(true);
  });

  it('should refuse an Error, an unknown code and a missing message', () => {
    const error = Object.assign(new Error('busy'), { code: 'worker_overloaded' });
    expect(isWorkerErrorPayload(error)).toBe(false);
    expect(isWorkerErrorPayload({ code: 'teapot', message: 'no' })).toBe(false);
    expect(isWorkerErrorPayload({ code: 'timeout' })).toBe(false);
    expect(isWorkerErrorPayload(null)).toBe(false);
    expect(isWorkerErrorPayload('timeout')).toBe(false);
  });
});
