import { CLS_HEIGHT, CLS_WIDTH, classifierBatch } from './classify';

function line(width: number, value: number): { data: Uint8Array; width: number; height: number } {
  return { data: new Uint8Array(width * CLS_HEIGHT * 3).fill(value), width, height: CLS_HEIGHT };
}

describe(classifierBatch.name, () => {
  it('should pad a short line and squeeze a long one into the fixed input', () => {
    const batch = classifierBatch([line(100, 255), line(500, 0)]);
    const plane = 3 * CLS_HEIGHT * CLS_WIDTH;
    expect(batch.length).toBe(2 * plane);
    expect(batch[99]).toBe(1);
    expect(batch[100]).toBe(0);
    expect(batch[plane + CLS_WIDTH - 1]).toBe(-1);
  });
});
