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
  it('should give each automatic CPU lane one core', () => {
    expect(intraOpThreads({ lanes: 'auto', intraOpThreads: 'auto', cores: 2, device: 'auto' })).toBe(1);
    expect(intraOpThreads({ lanes: 'auto', intraOpThreads: 'auto', cores: 8, device: 'cpu' })).toBe(1);
  });

  it('should share the cores out among fewer lanes than cores', () => {
    expect(intraOpThreads({ lanes: 1, intraOpThreads: 'auto', cores: 2, device: 'cpu' })).toBe(2);
    expect(intraOpThreads({ lanes: 3, intraOpThreads: 'auto', cores: 8, device: 'cpu' })).toBe(2);
    expect(intraOpThreads({ lanes: 4, intraOpThreads: 'auto', cores: 2, device: 'cpu' })).toBe(1);
  });

  it('should give the single GPU lane every core for the work left on the CPU', () => {
    expect(intraOpThreads({ lanes: 'auto', intraOpThreads: 'auto', cores: 16, device: 'cuda' })).toBe(16);
  });

  it('should honour an explicit thread count', () => {
    expect(intraOpThreads({ lanes: 'auto', intraOpThreads: 3, cores: 2, device: 'cpu' })).toBe(3);
  });
});
