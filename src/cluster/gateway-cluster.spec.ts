import { restartDelayMs } from './gateway-cluster';

describe(restartDelayMs.name, () => {
  it('should restart a first death after a quarter second and double the wait for each death in a row', () => {
    expect([1, 2, 3, 4, 5].map(restartDelayMs)).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('should never wait more than ten seconds', () => {
    expect(restartDelayMs(7)).toBe(10_000);
    expect(restartDelayMs(50)).toBe(10_000);
  });
});
