import type { Socket } from 'node:net';

/**
 * Knows who still waits for each job: a job's signal aborts when the gateway cancels it
 * (`ocr.cancel`: its HTTP client went away) or when the connection it came on closes (the gateway
 * died or dropped the connection). The scheduler then drops the job if it has not started, so no
 * lane time goes to answers nobody will read.
 */
export class CallerWatch {
  private readonly jobs = new Map<string, AbortController>();
  private readonly perSocket = new WeakMap<Socket, Set<string>>();

  /** The job's signal; call `release` once it is answered. */
  watch(jobId: string, socket: Socket | undefined): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    this.jobs.set(jobId, controller);
    const ids = socket ? this.jobsOf(socket) : undefined;
    ids?.add(jobId);
    if (socket?.destroyed) {
      controller.abort();
    }
    return {
      signal: controller.signal,
      release: () => {
        ids?.delete(jobId);
        if (this.jobs.get(jobId) === controller) {
          this.jobs.delete(jobId);
        }
      },
    };
  }

  /** Unknown ids (already answered) are ignored. */
  cancel(jobId: string): void {
    this.jobs.get(jobId)?.abort();
  }

  get watched(): number {
    return this.jobs.size;
  }

  private jobsOf(socket: Socket): Set<string> {
    let ids = this.perSocket.get(socket);
    if (!ids) {
      const created = new Set<string>();
      ids = created;
      this.perSocket.set(socket, created);
      socket.once('close', () => created.forEach((jobId) => this.cancel(jobId)));
    }
    return ids;
  }
}
