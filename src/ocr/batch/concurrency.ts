/**
 * `work` over every item with at most `limit` running at once, started in item order (a new one
 * starts when one finishes); the answers come back in item order. `work` must not throw.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
  return results;
}

/**
 * Turns taken strictly in index order: `take(i, fn)` runs `fn` once every turn before `i` has been
 * taken. With `mapBounded` (which starts items in order) this cannot deadlock: an item only waits
 * for earlier items, which are already running. Every index must take its turn exactly once.
 */
export class OrderedTurns {
  private readonly finished: Array<Promise<void>>;
  private readonly finish: Array<() => void> = [];

  constructor(count: number) {
    this.finished = Array.from(
      { length: count },
      (_, i) => new Promise<void>((resolve) => (this.finish[i] = resolve)),
    );
  }

  async take<T>(index: number, fn: () => Promise<T>): Promise<T> {
    if (index > 0) {
      await this.finished[index - 1];
    }
    try {
      return await fn();
    } finally {
      this.finish[index]();
    }
  }
}
