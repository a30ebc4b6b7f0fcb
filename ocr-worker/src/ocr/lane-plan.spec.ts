import { intraOpThreads, laneCount } from './lane-plan';

describe('laneCount', () => {
  it('should run one lane per core on the CPU and one lane on a GPU by default', () => {
    expect(laneCount({ lanes: 'auto', cores: 4 }, 'cpu')).toBe(4);
    expect(laneCount({ lanes: 'auto', cores: 4 }, 'cuda')).toBe(1);
  });

  it('should honour an explicit lane count', () => {
    expect(laneCount({ lanes: 3, cores: 2 }, 'cpu')).toBe(3);
    expect(laneCount({ lanes: 2, cores: 2 }, 'cuda')).toBe(2);
  });
});

describe('intraOpThreads', () => {
  it('should honour an explicit thread count', () => {
    expect(intraOpThreads({ intraOpThreads: 3, cores: 2 })).toBe(3);
  });
});
