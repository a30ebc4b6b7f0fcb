import { MulterError } from 'multer';
import { ApiError } from '../../common/errors/api-error';
import { uploadError } from './image-upload.interceptor';

describe(uploadError.name, () => {
  const MAX = 16 * 1024 * 1024;

  it('should answer a file over the limit with 413 payload_too_large naming the limit', () => {
    const error = uploadError(new MulterError('LIMIT_FILE_SIZE', 'image'), MAX);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.getStatus()).toBe(413);
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toContain(String(MAX));
  });

  it.each([
    ['LIMIT_FILE_COUNT', /one file per request/],
    ['LIMIT_UNEXPECTED_FILE', /field image/],
    ['LIMIT_FIELD_VALUE', /longer than 16384 bytes/],
    ['LIMIT_FIELD_COUNT', /more than 8 fields/],
    ['LIMIT_PART_COUNT', /more than 8 fields/],
    ['LIMIT_FIELD_KEY', /malformed/],
  ] as const)('should answer %s with 400 validation_failed', (code, message) => {
    const error = uploadError(new MulterError(code, 'file'), MAX);
    expect(error.getStatus()).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(message);
  });

  it('should answer a broken multipart body (a busboy error) with 400, without its text', () => {
    const error = uploadError(
      new Error('Unexpected end of form at /node_modules/busboy/lib/types/multipart.js'),
      MAX,
    );
    expect(error.code).toBe('validation_failed');
    expect(error.message).toBe('Invalid request: the multipart/form-data body is malformed.');
  });
});
