import { parseRecognizeRequest } from './recognize-request';
import { WorkerError } from '../common/errors/worker-error';

function codeOf(action: () => unknown): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    return error instanceof WorkerError ? error.code : 'not a WorkerError';
  }
}

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
    expect(codeOf(() => parseRecognizeRequest({ ...valid, bytes: Buffer.alloc(0) }))).toBe('invalid_image');
    expect(codeOf(() => parseRecognizeRequest({ ...valid, bytes: 'aGVsbG8=' }))).toBe('invalid_image');
    expect(codeOf(() => parseRecognizeRequest(null))).toBe('invalid_image');
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
    expect(codeOf(() => parseRecognizeRequest({ ...valid, [field]: value }))).toBe('internal_error');
  });
});
