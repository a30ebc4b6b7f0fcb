import { detectionSize } from './detect';

describe(detectionSize.name, () => {
  it('should scale the long side down to the limit and round both sides to multiples of 32', () => {
    expect(detectionSize(1000, 2000, 960)).toEqual({ width: 480, height: 960 });
    expect(detectionSize(754, 1000, 960)).toEqual({ width: 736, height: 960 });
  });

  it('should never scale up, only round', () => {
    expect(detectionSize(600, 160, 960)).toEqual({ width: 608, height: 160 });
  });

  it('should keep at least one 32-pixel block per side', () => {
    expect(detectionSize(5000, 20, 960)).toEqual({ width: 960, height: 32 });
  });
});
