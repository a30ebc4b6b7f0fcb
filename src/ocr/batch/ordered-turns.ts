/**
 * Turns taken strictly in index order: `take(i, fn)` runs `fn` once every turn before `i` has been
 * taken. Under p-map (which starts items in order, at most `concurrency` at once) this cannot
 * deadlock: an item only waits for earlier items, which are already running. Every index must
 * take its turn exactly once.
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
