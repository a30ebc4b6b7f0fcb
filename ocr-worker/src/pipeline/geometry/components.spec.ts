import { connectedComponents } from './components';

function bitmapOf(rows: string[]): { bitmap: Uint8Array; width: number; height: number } {
  const width = rows[0].length;
  const bitmap = new Uint8Array(width * rows.length);
  rows.forEach((row, y) => [...row].forEach((c, x) => (bitmap[y * width + x] = c === '#' ? 1 : 0)));
  return { bitmap, width, height: rows.length };
}

describe(connectedComponents.name, () => {
  it('should find separate regions with their pixel counts and row extremes', () => {
    const { bitmap, width, height } = bitmapOf([
      '##....', //
      '###..#',
      '.....#',
    ]);
    const components = connectedComponents(bitmap, width, height);
    expect(components).toHaveLength(2);
    expect(components[0]).toEqual({
      pixels: 5,
      extremes: [
        [0, 0],
        [1, 0],
        [0, 1],
        [2, 1],
      ],
    });
    expect(components[1]).toEqual({
      pixels: 2,
      extremes: [
        [5, 1],
        [5, 2],
      ],
    });
  });

  it('should connect pixels that touch only at a corner (8-connectivity)', () => {
    const { bitmap, width, height } = bitmapOf([
      '#...', //
      '.#..',
      '..#.',
    ]);
    expect(connectedComponents(bitmap, width, height)).toHaveLength(1);
  });

  it('should stop at the candidate limit', () => {
    const { bitmap, width, height } = bitmapOf(['#.#.#.#']);
    expect(connectedComponents(bitmap, width, height, 2)).toHaveLength(2);
  });

  it('should report a hollow ring as one region', () => {
    const { bitmap, width, height } = bitmapOf([
      '#####', //
      '#...#',
      '#####',
    ]);
    const [ring] = connectedComponents(bitmap, width, height);
    expect(ring.pixels).toBe(12);
    expect(ring.extremes).toEqual([
      [0, 0],
      [4, 0],
      [0, 1],
      [4, 1],
      [0, 2],
      [4, 2],
    ]);
  });
});
