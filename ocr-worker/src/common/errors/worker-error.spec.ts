import { WorkerError, WorkerErrors } from './worker-error';

describe(WorkerError.name, () => {
  it('should carry its code and message to the wire, and nothing of its cause', () => {
    const error = new WorkerError('image_too_large', 'The image has too many pixels.', {
      cause: new Error('sharp: /srv/tmp/x.png exceeds the pixel limit'),
    });
    expect(error.toPayload()).toEqual({ code: 'image_too_large', message: 'The image has too many pixels.' });
  });

  it('should keep a WorkerError as it is', () => {
    const refusal = WorkerErrors.overloaded();
    expect(WorkerError.from(refusal)).toBe(refusal);
  });

  it('should turn any other error into a generic internal_error caused by it', () => {
    const failure = new Error('ENOENT: no such file /srv/models/det.onnx');
    const error = WorkerError.from(failure);
    expect(error.toPayload()).toEqual({ code: 'internal_error', message: 'Recognition failed unexpectedly.' });
    expect(error.cause).toBe(failure);
    expect(WorkerError.from('a thrown string').toPayload().code).toBe('internal_error');
  });
});
