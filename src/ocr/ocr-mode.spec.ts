import { resolveOcrMode } from './ocr-mode';

describe(resolveOcrMode.name, () => {
  it('should default to text without mode or prompt', () => {
    expect(resolveOcrMode()).toBe('text');
  });

  it('should take mode as given', () => {
    expect(resolveOcrMode('lines')).toBe('lines');
    expect(resolveOcrMode('markdown')).toBe('markdown');
  });

  it('should map a prompt that asks for markdown to markdown, in any case', () => {
    expect(resolveOcrMode(undefined, '<image>\n<|grounding|>Convert the document to markdown.')).toBe(
      'markdown',
    );
    expect(resolveOcrMode(undefined, 'MARKDOWN please')).toBe('markdown');
  });

  it('should map any other prompt to text', () => {
    expect(resolveOcrMode(undefined, 'Free OCR.')).toBe('text');
    expect(resolveOcrMode(undefined, '')).toBe('text');
  });

  it('should let mode win over a prompt', () => {
    expect(resolveOcrMode('lines', 'Convert the document to markdown.')).toBe('lines');
    expect(resolveOcrMode('markdown', 'Free OCR.')).toBe('markdown');
  });

  it('should take JSON null as not given', () => {
    expect(resolveOcrMode(null, null)).toBe('text');
    expect(resolveOcrMode(null, 'markdown')).toBe('markdown');
  });
});
