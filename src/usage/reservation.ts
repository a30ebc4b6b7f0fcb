/**
 * Units counted against a key's daily quota for one request. Give back what produced no result:
 * `refund()` returns everything still held, `refund(n)` part of it (a batch with failed items).
 * A reservation never returns more than it took, however often it is refunded.
 */
export class Reservation {
  private held: number;

  constructor(
    /** The UTC day the units were counted on: a refund after midnight goes back to that day. */
    readonly day: string,
    readonly units: number,
    private readonly giveBack: (day: string, units: number) => Promise<void>,
  ) {
    this.held = units;
  }

  /** Units not refunded yet. */
  get outstanding(): number {
    return this.held;
  }

  async refund(count: number = this.held): Promise<void> {
    const units = Math.min(Math.max(0, Math.floor(count)), this.held);
    if (units === 0) {
      return;
    }
    // Decrease before awaiting so that concurrent refunds cannot both return the same units.
    this.held -= units;
    await this.giveBack(this.day, units);
  }
}
