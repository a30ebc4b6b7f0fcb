import { escapeXml } from './xml-text';

describe(escapeXml.name, () => {
  it('should escape the five XML specials', () => {
    expect(escapeXml(`a & b < c > d "e" 'f'`)).toBe('a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;');
  });

  it('should drop what XML cannot carry and keep the rest of Unicode', () => {
    expect(escapeXml('a\u0000b\u0007c\ufffed\ud800e')).toBe('abcde');
    expect(escapeXml('tab\there\nnew 中文 😀')).toBe('tab\there\nnew 中文 😀');
  });
});
