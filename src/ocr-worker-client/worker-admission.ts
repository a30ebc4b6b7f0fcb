/**
 * Work this gateway has handed to the worker and not yet had answered, by jobs and by image
 * bytes. A call that would go over either limit is refused before anything is sent: overload is
 * answered in microseconds, the bytes queued on the worker connections stay bounded (they never
 * reach the transport's send limit), and one client's large uploads cannot fill the link that
 * other clients' requests share. One job is always admitted, whatever its size.
 */
export class WorkerAdmission {
  private jobs = 0;
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    /** Read at each admission: the worker's own capacity once a health probe has told it. */
    private readonly maxJobs: () => number,
  ) {}

  /** A release function, or undefined when the call must be refused as overload. */
  admit(bytes: number): (() => void) | undefined {
    if (this.jobs > 0 && (this.jobs + 1 > this.maxJobs() || this.bytes + bytes > this.maxBytes)) {
      return undefined;
    }
    this.jobs += 1;
    this.bytes += bytes;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.jobs -= 1;
        this.bytes -= bytes;
      }
    };
  }

  get inFlight(): { jobs: number; bytes: number } {
    return { jobs: this.jobs, bytes: this.bytes };
  }
}
