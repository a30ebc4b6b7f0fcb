import { Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { WorkerHealth } from '@app/contracts';
import { isConnectionError, unavailableError } from './worker-errors';

/**
 * A health answer for what a link reaches: one worker (TCP), or the workers of the NATS queue
 * group that answered, summed (lanes, queues, in flight) as if they were one.
 */
export interface LinkHealth extends WorkerHealth {
  /** How many workers answered; absent: one. */
  workers?: number;
  /** How many workers this link has seen recently, answering or not; absent: one. */
  known?: number;
}

/**
 * One connection to the workers, as Nest's clients offer it: ClientTCP to one worker
 * (WorkerTcpClient), ClientNats to the workers' queue group (WorkerNatsClient).
 */
export interface WorkerChannel {
  send<R>(pattern: string, data: unknown): Observable<R>;
  emit(pattern: string, data: unknown): Observable<unknown>;
  /** One health question (`ocr.health`): the worker's answer, or on NATS every worker's, summed. */
  health(): Observable<LinkHealth>;
  /** Drops the current connection: calls waiting on it fail, the next call dials afresh. */
  dropConnection(): void;
  /** ClientNats closes asynchronously; nothing waits for it. */
  close(): void | Promise<void>;
}

export interface WorkerLinkOptions {
  /** `host:port`, for logs and /health. */
  readonly endpoint: string;
  readonly connections: number;
  readonly healthTimeoutMs: number;
  readonly probeIntervalMs: number;
}

/** What a call is sent on: release it once answered. */
export interface WorkerLease {
  readonly channel: WorkerChannel;
  /** The worker answered the call (a result or its own error): it is alive, whatever a probe says. */
  answered(): void;
  release(): void;
}

interface DataChannel {
  channel: WorkerChannel;
  bytes: number;
  calls: number;
}

type LinkState = 'unknown' | 'up' | 'down';

/**
 * The gateway's connections to one worker and what it knows of that worker's state (WorkerPool
 * holds one per WORKER_URLS entry).
 *
 * Calls go over WORKER_CONNECTIONS data connections, each to the one with the fewest bytes in
 * flight, so a large upload being written never delays a small one behind it on the same socket.
 * Health probes go over a connection of their own every WORKER_PROBE_INTERVAL_MS; a probe left
 * unanswered for HEALTH_TIMEOUT_MS while no call was answered either (or a refused
 * connection) takes the worker out of service: the
 * data connections are dropped, so calls waiting on a frozen worker fail at once, and new calls
 * are answered 503 worker_unavailable without being sent. The first answered probe puts it back.
 * Before the first probe has answered, calls are tried (a refused connection fails fast anyway).
 */
export class WorkerLink {
  private readonly logger: Logger;
  private readonly data: DataChannel[];
  private readonly control: WorkerChannel;
  private state: LinkState = 'unknown';
  private health?: LinkHealth;
  private probing = false;
  private timer?: NodeJS.Timeout;
  /** performance.now() of the last answer to a call on a data connection. */
  private lastAnswerAt = Number.NEGATIVE_INFINITY;

  constructor(
    open: () => WorkerChannel,
    private readonly options: WorkerLinkOptions,
  ) {
    this.logger = new Logger(`WorkerLink ${options.endpoint}`);
    this.data = Array.from({ length: options.connections }, () => ({ channel: open(), bytes: 0, calls: 0 }));
    this.control = open();
  }

  get endpoint(): string {
    return this.options.endpoint;
  }

  /** Calls this gateway has in flight on this worker. */
  get calls(): number {
    return this.data.reduce((sum, channel) => sum + channel.calls, 0);
  }

  start(): void {
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.options.probeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const channel of [...this.data.map((data) => data.channel), this.control]) {
      Promise.resolve(channel.close()).catch(() => undefined);
    }
  }

  /** False while the worker is out of service: calls would only wait for nothing. */
  get inService(): boolean {
    return this.state !== 'down';
  }

  /** The worker's last health answer; undefined before the first one or while out of service. */
  get lastHealth(): LinkHealth | undefined {
    return this.state === 'down' ? undefined : this.health;
  }

  /** Workers behind this link as last seen: one for TCP, the queue group's members on NATS. */
  get known(): number {
    return this.health?.known ?? 1;
  }

  /**
   * The data connection for a call of `bytes`.
   * @throws ApiError 503 worker_unavailable while the worker is out of service
   */
  lease(bytes: number): WorkerLease {
    if (this.state === 'down') {
      throw unavailableError();
    }
    const chosen = this.data.reduce((best, next) =>
      next.bytes < best.bytes || (next.bytes === best.bytes && next.calls < best.calls) ? next : best,
    );
    chosen.bytes += bytes;
    chosen.calls += 1;
    let released = false;
    return {
      channel: chosen.channel,
      answered: () => {
        this.lastAnswerAt = performance.now();
      },
      release: () => {
        if (!released) {
          released = true;
          chosen.bytes -= bytes;
          chosen.calls -= 1;
        }
      },
    };
  }

  /**
   * One health question on the control connection, bounded by HEALTH_TIMEOUT_MS. When the timer
   * fires, the verdict waits for one more I/O poll: after this gateway's own event loop was blocked
   * (a burst of work), timers run before the sockets are read, and an answer already waiting would
   * otherwise take a healthy worker out of service.
   */
  ask(): Promise<LinkHealth> {
    return new Promise<LinkHealth>((resolve, reject) => {
      let settled = false;
      // Set after the send, which may already have failed synchronously (a refused connection).
      const deadline: { timer?: NodeJS.Timeout } = {};
      const settle = (): boolean => {
        const first = !settled;
        settled = true;
        clearTimeout(deadline.timer);
        return first;
      };
      const subscription = this.control.health().subscribe({
        next: (health) => settle() && resolve(health),
        error: (error: unknown) =>
          settle() && reject(error instanceof Error ? error : new Error(String(error))),
      });
      if (settled) {
        return;
      }
      deadline.timer = setTimeout(
        () =>
          setImmediate(() => {
            if (settle()) {
              subscription.unsubscribe();
              reject(
                Object.assign(new Error('The worker left a health probe unanswered.'), {
                  name: 'TimeoutError',
                }),
              );
            }
          }),
        this.options.healthTimeoutMs,
      );
    });
  }

  private async probe(): Promise<void> {
    if (this.probing) {
      return;
    }
    this.probing = true;
    const askedAt = performance.now();
    try {
      this.health = await this.ask();
      if (this.state !== 'up') {
        this.logger.log(`OCR worker in service (${this.health.lanes} lane(s), ${this.health.device}).`);
      }
      this.state = 'up';
    } catch (error) {
      if (!isConnectionError(error) && this.lastAnswerAt > askedAt) {
        // Calls were answered while the probe waited: the worker runs, its health answer is only
        // late (its event loop or this one busy with large uploads). A frozen worker answers
        // nothing after the probe that finds it out, so this never keeps one in service.
        this.control.dropConnection();
        this.logger.debug(`health probe unanswered within ${this.options.healthTimeoutMs} ms, but calls were answered meanwhile`);
        return;
      }
      this.takeOutOfService(error);
    } finally {
      this.probing = false;
    }
  }

  private takeOutOfService(error: unknown): void {
    // A probe that got no answer may sit on a dead connection: the next one dials afresh.
    this.control.dropConnection();
    if (this.state === 'down') {
      return;
    }
    const previous = this.state;
    this.state = 'down';
    const reason = isConnectionError(error)
      ? 'unreachable'
      : `no health answer within ${this.options.healthTimeoutMs} ms`;
    if (previous === 'up') {
      this.logger.warn(
        `OCR worker out of service (${reason}): new requests answer 503 until it answers again.`,
      );
    } else {
      this.logger.warn(`OCR worker not reachable yet (${reason}).`);
    }
    // Calls waiting on a frozen worker would each wait out their deadline: fail them now.
    this.data.forEach(({ channel }) => channel.dropConnection());
  }
}
