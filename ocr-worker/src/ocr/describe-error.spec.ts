import { describeError } from './describe-error';

describe(describeError.name, () => {
  it('should cut file paths and line breaks out of a message', () => {
    const error = new Error(
      "Load model from /srv/models/det.onnx failed:\n  at 'C:\\models\\x.onnx' (code 3)",
    );
    expect(describeError(error)).toBe("Load model from <path> failed: at '<path>' (code 3)");
  });

  it('should describe a non-error without inventing details', () => {
    expect(describeError('boom')).toBe('unknown error');
  });
});
