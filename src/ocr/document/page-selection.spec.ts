import { ApiError } from '../../common/errors/api-error';
import { parsePageSelection, resolvePages } from './page-selection';

function refusal(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) {
      return { status: error.getStatus(), code: error.code, message: error.message };
    }
    throw error;
  }
  throw new Error('expected a refusal');
}

describe(parsePageSelection.name, () => {
  it('should read page numbers, ranges and open ranges', () => {
    expect(parsePageSelection('1-3,7')).toEqual([
      { from: 1, to: 3 },
      { from: 7, to: 7 },
    ]);
    expect(parsePageSelection(' 2 , 4 - 5 ,9-')).toEqual([
      { from: 2, to: 2 },
      { from: 4, to: 5 },
      { from: 9, to: undefined },
    ]);
  });

  it.each(['', '0', '3-1', '1,,2', 'a', '1-2-3', '-3', '1.5', '1;2', '2-0'])(
    'should refuse %p with a 400 that shows the expected form',
    (text) => {
      const error = refusal(() => parsePageSelection(text));
      expect(error).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(error.message).toMatch(/^Invalid request: pages must/);
    },
  );

  it('should refuse an overlong field before parsing it', () => {
    expect(refusal(() => parsePageSelection('1,'.repeat(150) + '1'))).toMatchObject({ status: 400 });
  });
});

describe(resolvePages.name, () => {
  it('should take every page without a selection', () => {
    expect(resolvePages(undefined, 3, 20)).toEqual([1, 2, 3]);
  });

  it('should order the selected pages and take each once', () => {
    expect(resolvePages(parsePageSelection('7,1-3,2'), 9, 20)).toEqual([1, 2, 3, 7]);
    expect(resolvePages(parsePageSelection('8-'), 9, 20)).toEqual([8, 9]);
  });

  it('should refuse a document with more pages than allowed, and say how to choose', () => {
    const error = refusal(() => resolvePages(undefined, 25, 20));
    expect(error).toMatchObject({ status: 413, code: 'too_many_pages' });
    expect(error.message).toContain('The PDF has 25 pages; at most 20');
    expect(error.message).toContain('"1-20"');
  });

  it('should refuse a selection of more pages than allowed, counted once each', () => {
    expect(resolvePages(parsePageSelection('1-5,1-5'), 30, 5)).toHaveLength(5);
    const error = refusal(() => resolvePages(parsePageSelection('1-4,10-'), 30, 5));
    expect(error).toMatchObject({ status: 413, code: 'too_many_pages' });
    expect(error.message).toContain('pages selects 25 pages; at most 5');
  });

  it('should refuse a page the document does not have', () => {
    const error = refusal(() => resolvePages(parsePageSelection('1,4'), 3, 20));
    expect(error).toMatchObject({ status: 422, code: 'invalid_document' });
    expect(error.message).toBe('The PDF has 3 pages; pages asks for page 4.');
  });
});
