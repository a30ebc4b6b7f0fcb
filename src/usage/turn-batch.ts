interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Reads asked for during one turn of the event loop go out together, as one call of `readMany`,
 * at the next turn (setImmediate: after every request whose bytes arrived in this turn has asked).
 * While a batch is in flight, the reads asked meanwhile wait for it to settle and then go out
 * together: under load a batch grows with the database's round trip instead of the statements
 * multiplying, one per turn (each costs a query's parse, write and wake-up on both sides).
 * A read joins only a batch that has not been sent yet, so its answer reflects every write
 * committed before it was asked: the same guarantee as a read of its own. Repeated keys are
 * read once; a failure of the batch fails each of its reads. Every statement has a client-side
 * timeout (`query_timeout`), so a batch in flight always settles.
 */
export class TurnBatch<K, V> {
  private pending = new Map<K, Array<Waiter<V>>>();
  private scheduled = false;
  /** Calls of `readMany` of the batch sent last that have not settled yet. */
  private inFlight = 0;

  /**
   * @param readMany answers a value for each key it is given (a key it leaves out is an error)
   * @param maxKeys the most keys one call is given; more are split over several calls
   */
  constructor(
    private readonly readMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxKeys = 500,
  ) {}

  read(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters === undefined) {
        this.pending.set(key, [{ resolve, reject }]);
      } else {
        waiters.push({ resolve, reject });
      }
      this.schedule();
    });
  }

  private schedule(): void {
    if (!this.scheduled && this.inFlight === 0 && this.pending.size > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private settled(): void {
    this.inFlight--;
    this.schedule();
  }

  /** `readMany` whose throw, too, is a rejection: the batch in flight must always settle. */
  private async call(keys: K[]): Promise<Map<K, V>> {
    return this.readMany(keys);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    const keys = [...batch.keys()];
    for (let start = 0; start < keys.length; start += this.maxKeys) {
      const chunk = keys.slice(start, start + this.maxKeys);
      this.inFlight++;
      this.call(chunk).then(
        (values) => {
          for (const key of chunk) {
            const value = values.get(key);
            for (const waiter of batch.get(key) ?? []) {
              if (value === undefined) {
                waiter.reject(new Error('the batched read answered no value for a key'));
              } else {
                waiter.resolve(value);
              }
            }
          }
          this.settled();
        },
        (error: unknown) => {
          for (const key of chunk) {
            for (const waiter of batch.get(key) ?? []) {
              waiter.reject(error);
            }
          }
          this.settled();
        },
      );
    }
  }
}
