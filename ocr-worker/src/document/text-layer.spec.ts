import { textLayerLines, type TextRun } from './text-layer';

/** 2 pixels per point, y flipped on a 100-point page: what pdf.js's viewport does at scale 2. */
const VIEWPORT = [2, 0, 0, -2, 0, 200];
const STYLES = { f1: { fontFamily: 'sans-serif', ascent: 0.75, descent: -0.25 } };

function run(str: string, x: number, y: number, width: number, extra: Partial<TextRun> = {}): TextRun {
  return { str, transform: [10, 0, 0, 10, x, y], width, fontName: 'f1', ...extra };
}

describe(textLayerLines.name, () => {
  it('should place each word by its share of the run, and box the line around its words', () => {
    // Counting characters: "ab cd" is 5 wide over 50 points, 10 points a character.
    const [line] = textLayerLines([run('ab cd', 10, 50, 50)], { viewport: VIEWPORT, styles: STYLES });
    expect(line.text).toBe('ab cd');
    expect(line.words.map((w) => [w.text, w.box])).toEqual([
      [
        'ab',
        [
          [20, 85],
          [60, 85],
          [60, 105],
          [20, 105],
        ],
      ],
      [
        'cd',
        [
          [80, 85],
          [120, 85],
          [120, 105],
          [80, 105],
        ],
      ],
    ]);
    expect(line.box).toEqual([
      [20, 85],
      [120, 85],
      [120, 105],
      [20, 105],
    ]);
    expect(line.confidence).toBe(1);
  });

  it('should join runs on one baseline into one line, and a word split across runs into one word', () => {
    const lines = textLayerLines(
      [run('Hel', 10, 50, 30), run('lo', 40, 50, 20), run('world', 65, 50, 50), run('next', 10, 30, 40)],
      { viewport: VIEWPORT, styles: STYLES },
    );
    expect(lines.map((l) => l.words.map((w) => w.text))).toEqual([['Hello', 'world'], ['next']]);
    expect(lines[0].words[0].box[1][0]).toBe(120);
  });

  it('should start a new line at an end of line, and skip runs that hold no text', () => {
    const lines = textLayerLines(
      [
        run('one', 10, 50, 30, { hasEOL: true }),
        run('', 0, 0, 0),
        run('two', 45, 50, 30),
        run('   ', 80, 50, 30),
      ],
      { viewport: VIEWPORT, styles: STYLES },
    );
    expect(lines.map((l) => l.text)).toEqual(['one', 'two']);
  });

  it('should use the measuring function for word widths', () => {
    const measure = (text: string): number => [...text].reduce((sum, c) => sum + (c === 'W' ? 3 : 1), 0);
    const [line] = textLayerLines([run('W i', 0, 50, 50)], { viewport: VIEWPORT, styles: STYLES, measure });
    // Widths 3, 1, 1 of 5: "W" covers 30 points, "i" starts at 40.
    expect(line.words.map((w) => [w.box[0][0], w.box[1][0]])).toEqual([
      [0, 60],
      [80, 100],
    ]);
  });

  it('should keep a rotated run as a line of its own, boxed by the rectangle around it', () => {
    // Turned a quarter: the text runs up from (50, 10), its ascent to the left (x 42.5 to 52.5).
    const rotated: TextRun = { str: 'up', transform: [0, 10, -10, 0, 50, 10], width: 20, fontName: 'f1' };
    const lines = textLayerLines([run('left', 0, 50, 40), rotated], { viewport: VIEWPORT, styles: STYLES });
    expect(lines.map((l) => l.text)).toEqual(['left', 'up']);
    expect(lines[1].box).toEqual([
      [85, 140],
      [105, 140],
      [105, 180],
      [85, 180],
    ]);
  });
});
