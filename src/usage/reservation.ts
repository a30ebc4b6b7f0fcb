/**
 * Units of one request counted against its key's daily quota and held by a lease until the
 * request is settled. Give back what produced no result: `refund()` returns everything still
 * held, `refund(n)` part of it (pages of a document that failed, say). A reservation never returns
 * more than it took, however often it is refunded, and nothing once it is settled.
 */
export class Reservation {
  private held: number;
  private open = true;

  constructor(
    /** The lease row that holds the units until the request is settled. */
    readonly leaseId: string,
    /** The UTC day the units were counted on: a refund after midnight goes back to that day. */
    readonly day: string,
    readonly units: number,
    private readonly giveBack: (units: number) => Promise<void>,
  ) {
    this.held = units;
  }

  /** Units not refunded yet. */
  get outstanding(): number {
    return this.held;
  }

  get settled(): boolean {
    return !this.open;
  }

  async refund(count: number = this.held): Promise<void> {
    const units = Math.min(Math.max(0, Math.floor(count)), this.held);
    if (units === 0) {
      return;
    }
    // Decrease before awaiting so that concurrent refunds cannot both return the same units.
    this.held -= units;
    await this.giveBack(units);
  }

  /**
   * Hands the lease over to the ledger's settlement (a charge or a release of the whole lease):
   * answers the units held until now; later refunds do nothing.
   */
  settle(): number {
    const held = this.held;
    this.held = 0;
    this.open = false;
    return held;
  }
}
