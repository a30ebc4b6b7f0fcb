import { ApiError } from '../common/errors/api-error';
import { imageSourceOf } from './image-source';

describe(imageSourceOf.name, () => {
  const file = { buffer: Buffer.from([1, 2, 3]), mimetype: 'image/png' };

  it('should take an uploaded file', () => {
    expect(imageSourceOf(undefined, file)).toEqual({ kind: 'upload', file });
  });

  it('should take the image string', () => {
    expect(imageSourceOf('https://example.com/a.png', undefined)).toEqual({
      kind: 'inline',
      value: 'https://example.com/a.png',
    });
  });

  it('should refuse a request without an image with 400 validation_failed', () => {
    const error = (() => {
      try {
        imageSourceOf(undefined, undefined);
      } catch (e) {
        return e as ApiError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect(error.getStatus()).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(/image is required/);
  });

  it('should take JSON null as no image', () => {
    expect(() => imageSourceOf(null, undefined)).toThrow(/image is required/);
    expect(imageSourceOf(null, file)).toEqual({ kind: 'upload', file });
  });

  it('should refuse a file and an image string together', () => {
    expect(() => imageSourceOf('aGVsbG8=', file)).toThrow(/not both/);
  });
});
