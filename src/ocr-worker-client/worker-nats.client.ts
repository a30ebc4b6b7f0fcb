import { Logger } from '@nestjs/common';
import { ClientNats, type ReadPacket, type WritePacket } from '@nestjs/microservices';
// Not re-exported by the package's index: the error ClientNats makes of the server's "no responders".
import { EmptyResponseException } from '@nestjs/microservices/errors/empty-response.exception';
import type { NatsConnection } from 'nats';
import { from, map, mergeMap, type Observable } from 'rxjs';
import { natsCensus, NatsFrameDeserializer, NatsFrameSerializer, type WorkerHealth } from '@app/contracts';
import { WorkerUnreachableError } from './worker-errors';
import type { LinkHealth, WorkerChannel } from './worker-link';

export interface WorkerNatsClientOptions {
  /** Shared by the link's channels: the members seen, and who to tell when one is lost. */
  group: NatsWorkerGroup;
  servers: readonly string[];
  /** The client's name as the NATS server shows it (`nats-server` monitoring, logs). */
  name: string;
  connectTimeoutMs: number;
}

/**
 * How long a health census listens after the first answer for the other workers'. Workers answer
 * health on their event loop, which inference never blocks (it runs in lane threads), so the
 * answers of live workers arrive within milliseconds of each other.
 */
export const CENSUS_WINDOW_MS = 100;
/** A worker that has not answered a census for this long is forgotten (it was scaled away). */
export const FORGET_WORKER_AFTER_MS = 10 * 60_000;
/**
 * The members of the queue group as this gateway's censuses see them. NATS tells a requester
 * nothing when the worker holding its job dies (the answer just never comes), so when a member
 * that answered stops answering for `lostAfterMs` (HEALTH_TIMEOUT_MS: what takes a TCP worker
 * out of service) while others still answer, every call in flight on the link's channels fails
 * as a connection failure and is retried once: the NATS server hands the retry to a live member.
 * Calls that were on live members are sent twice then (their first answer is dropped): the
 * price of not waiting for the deadline, paid only when a worker is lost. Measured in time, not
 * in censuses: /health asks for a census at each request, and a worker whose event loop is
 * starved for a moment must not count as lost.
 */
export class NatsWorkerGroup {
  private readonly members = new Map<string, { lastSeen: number; lost: boolean }>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly lostAfterMs: number) {}

  /** Records a census; returns the members it found lost (once each, until they answer again). */
  record(answers: readonly WorkerHealth[], now = Date.now()): string[] {
    const present = new Set(answers.map((answer, index) => answer.instance ?? `unnamed ${index}`));
    for (const instance of present) {
      this.members.set(instance, { lastSeen: now, lost: false });
    }
    const lost: string[] = [];
    for (const [instance, member] of this.members) {
      if (present.has(instance)) {
        continue;
      }
      if (now - member.lastSeen > FORGET_WORKER_AFTER_MS) {
        this.members.delete(instance);
      } else if (!member.lost && now - member.lastSeen >= this.lostAfterMs) {
        member.lost = true;
        lost.push(instance);
      }
    }
    if (lost.length > 0) {
      this.listeners.forEach((listener) => listener());
    }
    return lost;
  }

  /** Members seen in the last FORGET_WORKER_AFTER_MS, answering or not. */
  get known(): number {
    return this.members.size;
  }

  onLost(listener: () => void): void {
    this.listeners.add(listener);
  }
}

/**
 * Nest's NATS client as a WorkerChannel (WORKER_TRANSPORT=nats). A call is published on
 * `ocr.recognize` and the NATS server hands it to one worker of the queue group; there is no
 * worker-specific connection, so what the TCP transport learns from a socket comes from NATS here:
 * - no worker subscribed: the server's "no responders" answer, at once (WorkerUnreachableError:
 *   retried once, then 503 worker_unavailable); the NATS server unreachable: the same;
 * - a message over the server's `max_payload` (read at each call from the connection's INFO) is
 *   refused before publishing (NatsPayloadTooLargeError, 413 for the client), never chunked;
 * - health is a census: `ocr.health` reaches every worker, the answers that arrive within
 *   CENSUS_WINDOW_MS of the first are summed, and the workers seen are remembered by instance.
 */
export class WorkerNatsClient extends ClientNats implements WorkerChannel {
  private readonly log = new Logger('WorkerNatsClient');
  private readonly group: NatsWorkerGroup;
  /** Calls waiting for an answer, each failed by `failPending` when a member is lost. */
  private readonly pending = new Set<() => void>();

  constructor(options: WorkerNatsClientOptions) {
    const limit: { read?: () => number | undefined } = {};
    super({
      servers: [...options.servers],
      name: options.name,
      timeout: options.connectTimeoutMs,
      // Once connected, keep trying through a NATS server restart; calls meanwhile fail fast.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      serializer: new NatsFrameSerializer(() => limit.read?.()),
      deserializer: new NatsFrameDeserializer(),
    });
    limit.read = () => this.connection()?.info?.max_payload;
    this.group = options.group;
    this.group.onLost(() => this.failPending());
  }

  /**
   * ClientNats rejects with a bare string while it reconnects and with nats.js's error when the
   * server cannot be reached: both mean that no worker can be reached, a connection failure.
   */
  override async connect(): Promise<NatsConnection> {
    try {
      return (await super.connect()) as NatsConnection;
    } catch (error) {
      this.log.debug({ reason: describe(error) }, 'NATS connection failed');
      throw new WorkerUnreachableError('The NATS server is unreachable.');
    }
  }

  /** The server's "no responders" reaches ClientNats as an empty answer: no worker is subscribed. */
  protected override publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let settled = false;
    const settle = (answer: WritePacket): void => {
      if (settled) {
        return;
      }
      if (answer.err !== undefined || answer.isDisposed) {
        settled = true;
        this.pending.delete(fail);
      }
      callback(answer);
    };
    const fail = (): void =>
      settle({
        err: new WorkerUnreachableError('An OCR worker left the NATS queue group.'),
        isDisposed: true,
      });
    this.pending.add(fail);
    const unsubscribe = super.publish(packet, (answer) => {
      if (answer.err instanceof EmptyResponseException) {
        return settle({ ...answer, err: new WorkerUnreachableError('No OCR worker is subscribed on NATS.') });
      }
      return settle(answer);
    });
    return () => {
      this.pending.delete(fail);
      unsubscribe();
    };
  }

  /** Fails every call waiting on this channel as a connection failure (retried once by the caller). */
  failPending(): void {
    [...this.pending].forEach((fail) => fail());
  }

  /**
   * The link found no worker answering (WorkerLink takes it out of service): the NATS connection
   * is not to a worker and stays, but the calls waiting on it would only wait for their deadline.
   */
  dropConnection(): void {
    this.failPending();
  }

  health(): Observable<LinkHealth> {
    return from(this.connect()).pipe(
      mergeMap((nc) => natsCensus(nc, CENSUS_WINDOW_MS)),
      map((answers) => this.sum(answers)),
    );
  }

  /** The answers as one worker's would read (lanes and queues summed), with how many answered and are known. */
  private sum(answers: WorkerHealth[]): LinkHealth {
    const lost = this.group.record(answers);
    if (lost.length > 0) {
      this.log.warn(
        { lost: lost.length, answering: answers.length },
        'OCR worker(s) left the NATS queue group: calls in flight are retried',
      );
    }
    const total = (pick: (health: WorkerHealth) => number): number =>
      answers.reduce((sum, health) => sum + pick(health), 0);
    return {
      status: 'ok',
      device: answers[0].device,
      model: answers[0].model,
      lanes: total((h) => h.lanes),
      queueDepth: total((h) => h.queueDepth),
      inFlight: total((h) => h.inFlight),
      maxQueue: total((h) => h.maxQueue),
      workers: answers.length,
      known: Math.max(this.group.known, answers.length),
    };
  }

  private connection(): NatsConnection | undefined {
    try {
      return this.unwrap<NatsConnection>();
    } catch {
      return undefined;
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'connection lost';
}
