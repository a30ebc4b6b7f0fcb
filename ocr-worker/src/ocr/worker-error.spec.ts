import { RpcException } from '@nestjs/microservices';
import { toRpcException, WorkerError } from './worker-error';

describe(WorkerError.name, () => {
  it('should become an RpcException carrying its code and message', () => {
    const exception = toRpcException(new WorkerError('image_too_large', 'The image has too many pixels.'));
    expect(exception).toBeInstanceOf(RpcException);
    expect(exception.getError()).toEqual({
      code: 'image_too_large',
      message: 'The image has too many pixels.',
    });
  });

  it('should turn any other error into a generic internal_error', () => {
    const exception = toRpcException(new Error('ENOENT: no such file /srv/models/det.onnx'));
    expect(exception.getError()).toEqual({
      code: 'internal_error',
      message: 'Recognition failed unexpectedly.',
    });
  });
});
