import pMap from 'p-map';
import { OrderedTurns } from './ordered-turns';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

  it('should not deadlock under p-map with a concurrency below the item count', async () => {
    const turns = new OrderedTurns(8);
    const order: number[] = [];
    const started: number[] = [];
    const answers = await pMap(
      Array.from({ length: 8 }, (_, i) => i),
      async (i) => {
        started.push(i);
        await tick((8 - i) % 3);
        await turns.take(i, () => Promise.resolve(order.push(i)));
        return i * 10;
      },
      { concurrency: 2 },
    );
    // What the batch relies on: items start in order, and answers come back in item order.
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(answers).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
  });
});
