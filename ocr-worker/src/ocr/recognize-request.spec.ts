import { decodeImage, parseRecognizeRequest } from './recognize-request';
import { WorkerError } from './worker-error';

function codeOf(action: () => unknown): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    return error instanceof WorkerError ? error.code : 'not a WorkerError';
  }
}

describe('parseRecognizeRequest', () => {
  const valid = { requestId: 'req_abc-1', image: 'aGVsbG8=', mode: 'markdown', deadline: 1_700_000_000_000 };

  it('should accept a well-formed request', () => {
    expect(parseRecognizeRequest(valid)).toEqual(valid);
  });

  it('should answer invalid_image for a missing or empty image', () => {
    expect(codeOf(() => parseRecognizeRequest({ ...valid, image: '' }))).toBe('invalid_image');
    expect(codeOf(() => parseRecognizeRequest({ ...valid, image: 42 }))).toBe('invalid_image');
    expect(codeOf(() => parseRecognizeRequest(null))).toBe('invalid_image');
  });

  it.each([
    ['requestId', 'has spaces in it'],
    ['requestId', undefined],
    ['mode', 'html'],
    ['deadline', '2026-01-01'],
    ['deadline', Number.NaN],
  ])('should answer internal_error for a malformed %s', (field, value) => {
    expect(codeOf(() => parseRecognizeRequest({ ...valid, [field]: value }))).toBe('internal_error');
  });
});

describe('decodeImage', () => {
  it('should decode base64 into an ArrayBuffer of exactly the image bytes', () => {
    const image = Buffer.from([1, 2, 3, 4, 5]);
    const decoded = decodeImage(image.toString('base64'));
    expect(Buffer.from(decoded)).toEqual(image);
  });

  it('should not share memory with other buffers, so it can be transferred', () => {
    const small = decodeImage(Buffer.from('tiny').toString('base64'));
    expect(small.byteLength).toBe(4);
    structuredClone(small, { transfer: [small] });
    expect(small.byteLength).toBe(0);
  });

  it('should decode text that is not base64 to nothing, or to the few bytes it encodes', () => {
    expect(decodeImage('!!!!').byteLength).toBe(0);
    expect(Buffer.from(decodeImage('aGVsbG8=!!')).toString()).toBe('hello');
  });
});
