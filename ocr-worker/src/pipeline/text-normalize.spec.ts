import { normalizeText } from './text-normalize';

describe(normalizeText.name, () => {
  it('should map full-width forms to ASCII', () => {
    expect(normalizeText('ＴＯＴＡＬ：（ＲＭ）１２．５０')).toBe('TOTAL:(RM)12.50');
  });

  it('should map CJK punctuation without a compatibility form', () => {
    expect(normalizeText('a、b。“c”【d】')).toBe('a,b."c"[d]');
  });

  it('should collapse whitespace and leave CJK text alone', () => {
    expect(normalizeText('  中文  text\u3000here ')).toBe('中文 text here');
  });
});
