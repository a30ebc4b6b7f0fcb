import { MemoryGcraStorage } from './memory-gcra.storage';

describe(MemoryGcraStorage.name, () => {
  let now: number;
  let storage: MemoryGcraStorage;

  beforeEach(() => {
    now = 1_000_000;
    storage = new MemoryGcraStorage(() => now);
  });

  afterEach(() => storage.onApplicationShutdown());

  // free tier: burst 5 refilled in 2.5 s.
  const hit = (key = 'k1', name = 'rate') => storage.increment(key, 2500, 5, 2500, name);

  it('should admit the burst, then refuse with the wait for the next token', async () => {
    const records = [];
    for (let i = 0; i < 6; i++) {
      records.push(await hit());
    }
    expect(records.map((r) => r.isBlocked)).toEqual([false, false, false, false, false, true]);
    expect(records.map((r) => r.totalHits)).toEqual([1, 2, 3, 4, 5, 5]);
    expect(records[5].timeToBlockExpire).toBe(1);
    now += 500;
    await expect(hit()).resolves.toMatchObject({ isBlocked: false, totalHits: 5 });
  });

  it('should keep separate buckets per key and per throttler', async () => {
    for (let i = 0; i < 5; i++) {
      await hit('k1');
    }
    await expect(hit('k1')).resolves.toMatchObject({ isBlocked: true });
    await expect(hit('k2')).resolves.toMatchObject({ isBlocked: false, totalHits: 1 });
    await expect(hit('k1', 'ip')).resolves.toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('should forget refilled buckets when it sweeps', async () => {
    await hit('k1');
    await hit('k2');
    now += 400;
    storage.sweep();
    expect(storage.size).toBe(2);
    now += 200;
    storage.sweep();
    expect(storage.size).toBe(0);
  });
});
