import { mapBounded, OrderedTurns } from './concurrency';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(mapBounded.name, () => {
  it('should answer in item order whatever order the work finishes in', async () => {
    const delays = [30, 5, 20, 0, 10];
    await expect(mapBounded(delays, 3, async (ms, i) => (await tick(ms), i * 10))).resolves.toEqual([
      0, 10, 20, 30, 40,
    ]);
  });

  it('should never run more than the limit at once, and start items in order', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await mapBounded(
      Array.from({ length: 10 }, (_, i) => i),
      3,
      async (i) => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await tick(i % 3);
        running -= 1;
      },
    );
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('should handle an empty list and a limit above the item count', async () => {
    await expect(mapBounded([], 4, () => Promise.resolve(1))).resolves.toEqual([]);
    await expect(mapBounded([1, 2], 16, (n) => Promise.resolve(n * 2))).resolves.toEqual([2, 4]);
  });
});

describe(OrderedTurns.name, () => {
  it('should run turns in index order even when later ones arrive first', async () => {
    const turns = new OrderedTurns(4);
    const order: number[] = [];
    await Promise.all(
      [3, 1, 0, 2].map(async (i) => {
        await tick(i === 0 ? 20 : 0);
        await turns.take(i, async () => {
          order.push(i);
          await tick(1);
        });
      }),
    );
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('should pass the turn on when one throws', async () => {
    const turns = new OrderedTurns(2);
    const first = turns.take(0, () => Promise.reject(new Error('refused')));
    const second = turns.take(1, () => Promise.resolve('ran'));
    await expect(first).rejects.toThrow('refused');
    await expect(second).resolves.toBe('ran');
  });

  it('should not deadlock under mapBounded with a limit below the item count', async () => {
    const turns = new OrderedTurns(8);
    const order: number[] = [];
    await mapBounded(
      Array.from({ length: 8 }, (_, i) => i),
      2,
      async (i) => {
        await tick((8 - i) % 3);
        await turns.take(i, () => Promise.resolve(order.push(i)));
      },
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
