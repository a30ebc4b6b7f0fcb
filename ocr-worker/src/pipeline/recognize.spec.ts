import { REC_HEIGHT, recognitionInput, recognitionWidth } from './recognize';

describe(recognitionWidth.name, () => {
  it('should round the width up to a multiple of 32', () => {
    expect(recognitionWidth(1)).toBe(32);
    expect(recognitionWidth(32)).toBe(32);
    expect(recognitionWidth(33)).toBe(64);
    expect(recognitionWidth(310)).toBe(320);
  });
});

describe(recognitionInput.name, () => {
  it('should pad the right with zeros, the mid-grey of the normalised input', () => {
    const line = { data: new Uint8Array(40 * REC_HEIGHT * 3).fill(255), width: 40, height: REC_HEIGHT };
    const { data, width } = recognitionInput(line);
    expect(width).toBe(64);
    expect(data.length).toBe(3 * REC_HEIGHT * 64);
    expect(data[39]).toBe(1);
    expect(data[40]).toBe(0);
    expect(data[63]).toBe(0);
  });
});
