import type { OcrLine, Quad } from '@app/contracts';
import { groupRows, joinText, readingOrder, toMarkdown } from './layout';

/** A line whose box is the rectangle (x, y, w, h), optionally sheared so its right end sits `tilt` lower. */
function line(text: string, x: number, y: number, w: number, h = 20, tilt = 0): OcrLine {
  const box: Quad = [
    [x, y],
    [x + w, y + tilt],
    [x + w, y + h + tilt],
    [x, y + h],
  ];
  return { text, confidence: 0.9, box, words: [] };
}

describe(groupRows.name, () => {
  it('should read rows top to bottom and each row left to right', () => {
    const lines = [
      line('12.50', 300, 102, 60),
      line('TOTAL', 20, 100, 80),
      line('SHOP', 20, 20, 80),
      line('CASH', 20, 140, 60),
    ];
    expect(groupRows(lines).map((row) => row.map((l) => l.text))).toEqual([
      ['SHOP'],
      ['TOTAL', '12.50'],
      ['CASH'],
    ]);
  });

  it('should keep a skewed row together', () => {
    const lines = [
      line('TOTAL', 20, 100, 150, 20, 6),
      line('12.50', 300, 111, 60, 20, 2),
      line('NEXT', 20, 135, 80, 20, 6),
    ];
    expect(groupRows(lines).map((row) => row.map((l) => l.text))).toEqual([['TOTAL', '12.50'], ['NEXT']]);
  });

  it('should not let one tall line chain two rows together', () => {
    const lines = [line('BIG', 400, 95, 100, 55), line('first', 20, 100, 80), line('second', 20, 125, 80)];
    const rows = groupRows(lines).map((row) => row.map((l) => l.text));
    expect(rows).toHaveLength(2);
    expect(rows.flat().sort()).toEqual(['BIG', 'first', 'second']);
  });
});

describe(readingOrder.name, () => {
  it('should flatten rows into one list and join the text with newlines', () => {
    const ordered = readingOrder([line('b', 200, 10, 50), line('c', 10, 60, 50), line('a', 10, 12, 50)]);
    expect(joinText(ordered)).toBe('a\nb\nc');
  });
});

describe(`${readingOrder.name} of a page turned upside down`, () => {
  it('should order the lines as the upright page reads', () => {
    // The page 400 x 200 turned 180°: "first" was at the top left, now it is at the bottom right.
    const lines = [line('first', 300, 160, 80), line('second', 20, 160, 80), line('third', 300, 20, 80)];
    expect(joinText(readingOrder(lines, { width: 400, height: 200 }))).toBe('first\nsecond\nthird');
    expect(readingOrder(lines, { width: 400, height: 200 })[0].box).toEqual(lines[0].box);
  });
});

describe(toMarkdown.name, () => {
  it('should reflow a paragraph and separate paragraphs by a blank line', () => {
    const md = toMarkdown([
      line('The first paragraph', 20, 20, 400),
      line('goes on here.', 20, 45, 300),
      line('A second one.', 20, 110, 300),
    ]);
    expect(md).toBe('The first paragraph goes on here.\n\nA second one.');
  });

  it('should read two columns of prose one after the other, also when their rows line up', () => {
    const md = toMarkdown([
      line('left one', 20, 20, 200),
      line('right one', 250, 20, 200),
      line('left two', 20, 45, 200),
      line('right two', 250, 45, 200),
      line('left three', 20, 70, 200),
      line('right three', 250, 70, 200),
    ]);
    expect(md).toBe('left one left two left three\n\nright one right two right three');
  });

  it('should read columns whose rows do not line up one after the other', () => {
    const md = toMarkdown([
      line('left one', 20, 20, 100),
      line('right one', 400, 30, 100),
      line('left two', 20, 45, 100),
      line('right two', 400, 58, 100),
      line('left three', 20, 70, 100),
      line('right three', 400, 86, 100),
    ]);
    expect(md).toBe('left one left two left three\n\nright one right two right three');
  });

  it('should keep the cells of a table row together', () => {
    const md = toMarkdown([
      line('ITEM', 20, 20, 80),
      line('1.00', 300, 20, 60),
      line('MILK', 20, 45, 80),
      line('2.50', 300, 45, 60),
    ]);
    expect(md).toBe('ITEM 1.00\nMILK 2.50');
  });

  it('should make a lone oversized line a heading', () => {
    const md = toMarkdown([
      line('INVOICE', 20, 10, 300, 44),
      line('body text', 20, 80, 200),
      line('more body', 20, 105, 200),
    ]);
    expect(md).toBe('## INVOICE\n\nbody text more body');
  });

  it('should answer an empty string for no lines', () => {
    expect(toMarkdown([])).toBe('');
  });
});
