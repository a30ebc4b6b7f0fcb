/**
 * Concurrent calls for the same key share one run of the work: the first starts it, the others
 * get its promise, and it is forgotten once it settles, so neither a result nor a failure
 * outlives the calls that were waiting for it.
 */
export class SingleFlight<K, V> {
  private readonly flights = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    const inFlight = this.flights.get(key);
    if (inFlight !== undefined) {
      return inFlight;
    }
    const flight = work().finally(() => this.flights.delete(key));
    this.flights.set(key, flight);
    return flight;
  }

  get size(): number {
    return this.flights.size;
  }
}
