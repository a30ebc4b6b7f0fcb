import { ModelConfigError } from './model-files';
import { buildCharset } from './dictionary';

describe(buildCharset.name, () => {
  it('should put the blank first and the space last when the model predicts one more class', () => {
    const charset = buildCharset('a\nb\nc\n', 5);
    expect(charset.symbols).toEqual(['', 'a', 'b', 'c', ' ']);
    expect(charset.spaceIndex).toBe(4);
  });

  it('should leave the space out when the model has no class for it', () => {
    const charset = buildCharset('a\r\nb\r\n', 3);
    expect(charset.symbols).toEqual(['', 'a', 'b']);
    expect(charset.spaceIndex).toBeUndefined();
  });

  it('should refuse a dictionary that does not fit the model', () => {
    expect(() => buildCharset('a\nb\n', 10)).toThrow(ModelConfigError);
  });
});
