import { parseRecognizeRequest } from './recognize-request';
import { workerErrorCodeOfCall } from '../common/testing/worker-error-code';

describe('parseRecognizeRequest', () => {
  const valid = {
    jobId: 'job_abc',
    requestId: 'req_abc-1',
    bytes: Buffer.from('hello'),
    image: { format: 'png', width: 20, height: 10 },
    mode: 'markdown',
    deadline: 1_700_000_000_000,
  };

  it('should accept a well-formed request', () => {
    expect(parseRecognizeRequest(valid)).toEqual(valid);
  });

  it('should answer invalid_image for missing or empty bytes', () => {
    expect(workerErrorCodeOfCall(() => parseRecognizeRequest({ ...valid, bytes: Buffer.alloc(0) }))).toBe('invalid_image');
    expect(workerErrorCodeOfCall(() => parseRecognizeRequest({ ...valid, bytes: 'aGVsbG8=' }))).toBe('invalid_image');
    expect(workerErrorCodeOfCall(() => parseRecognizeRequest(null))).toBe('invalid_image');
  });

  it.each([
    ['jobId', 'has spaces'],
    ['requestId', 'has spaces in it'],
    ['requestId', undefined],
    ['image', { format: 'png', width: 0, height: 10 }],
    ['image', { format: 'png', width: 1.5, height: 10 }],
    ['image', undefined],
    ['mode', 'html'],
    ['deadline', '2026-01-01'],
  ])('should answer internal_error for a malformed %s (%p)', (field, value) => {
    expect(workerErrorCodeOfCall(() => parseRecognizeRequest({ ...valid, [field]: value }))).toBe('internal_error');
  });
});
