import { DET_TABLES, REC_TABLES, writeChw } from './tensor';

describe(writeChw.name, () => {
  it('should write planes in BGR order with the recognizer normalisation and leave padding at zero', () => {
    // One row of two pixels: pure red, then pure blue; the tensor is three columns wide.
    const image = { data: Uint8Array.from([255, 0, 0, 0, 0, 255]), width: 2, height: 1 };
    const target = new Float32Array(3 * 3);
    writeChw(image, REC_TABLES, target, 3);
    expect(Array.from(target)).toEqual([-1, 1, 0, -1, -1, 0, 1, -1, 0]);
  });

  it('should apply the detector statistics per BGR channel', () => {
    const image = { data: Uint8Array.from([0, 0, 255]), width: 1, height: 1 };
    const target = new Float32Array(3);
    writeChw(image, DET_TABLES, target, 1);
    expect(target[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(target[1]).toBeCloseTo((0 - 0.456) / 0.224, 5);
    expect(target[2]).toBeCloseTo((0 - 0.406) / 0.225, 5);
  });

  it('should write at an offset for a batch', () => {
    const image = { data: Uint8Array.from([255, 255, 255]), width: 1, height: 1 };
    const target = new Float32Array(6);
    writeChw(image, REC_TABLES, target, 1, 3);
    expect(Array.from(target)).toEqual([0, 0, 0, 1, 1, 1]);
  });
});
