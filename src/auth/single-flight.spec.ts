import { SingleFlight } from './single-flight';

describe(SingleFlight.name, () => {
  it('should run the work once for concurrent calls with the same key', async () => {
    const flights = new SingleFlight<string, number>();
    const work = jest.fn(() => new Promise<number>((resolve) => setTimeout(() => resolve(42), 10)));
    const results = await Promise.all([
      flights.run('a', work),
      flights.run('a', work),
      flights.run('a', work),
    ]);
    expect(results).toEqual([42, 42, 42]);
    expect(work).toHaveBeenCalledTimes(1);
    expect(flights.size).toBe(0);
  });

  it('should run separately for different keys and again once settled', async () => {
    const flights = new SingleFlight<string, string>();
    const work = jest.fn((value: string) => Promise.resolve(value));
    await Promise.all([flights.run('a', () => work('a')), flights.run('b', () => work('b'))]);
    await flights.run('a', () => work('a'));
    expect(work).toHaveBeenCalledTimes(3);
  });

  it('should share a failure with every waiting caller and not keep it', async () => {
    const flights = new SingleFlight<string, number>();
    const failing = jest.fn(() => Promise.reject(new Error('down')));
    const outcomes = await Promise.allSettled([flights.run('a', failing), flights.run('a', failing)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(failing).toHaveBeenCalledTimes(1);
    await expect(flights.run('a', () => Promise.resolve(1))).resolves.toBe(1);
  });
});
