import { Logger } from '@nestjs/common';
import { ServerNats, type NatsContext } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from 'nats';
import {
  NATS_QUEUE_PATTERNS,
  NATS_WORKER_QUEUE,
  NatsFrameDeserializer,
  NatsFrameSerializer,
  NatsPayloadTooLargeError,
  type WorkerErrorPayload,
} from '@app/contracts';

type Publish = (response: Record<string, unknown>) => unknown;

/**
 * Nest's NATS server for the worker (WORKER_TRANSPORT=nats): `ocr.recognize` in the workers' queue
 * group, `ocr.health` and `ocr.cancel` for every worker (NATS_QUEUE_PATTERNS), messages as
 * transport frames (raw image bytes), and two things ServerNats does not do:
 * - `leaveQueueGroup()`: a worker shutting down stops taking jobs first, so the server hands new
 *   ones to the other members while this one finishes its own;
 * - an answer larger than the server's `max_payload` goes back as an `internal_error` instead of
 *   failing inside nats.js (which would leave the gateway waiting for its deadline).
 */
export class WorkerNatsServer extends ServerNats {
  private readonly log = new Logger('WorkerNatsServer');
  private jobs: Subscription[] = [];

  constructor(servers: string[], name: string) {
    // The limit is the connected server's, read at each answer (`this` exists only after super()).
    const limit: { read?: () => number | undefined } = {};
    const serializer = new NatsFrameSerializer(() => limit.read?.());
    super({
      servers,
      name,
      serializer,
      deserializer: new NatsFrameDeserializer(),
      // A NATS server restart must not end the worker: it rejoins the group when the server is back.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
    limit.read = () => this.connection()?.info?.max_payload;
  }

  override bindEvents(client: NatsConnection): void {
    for (const pattern of this.messageHandlers.keys()) {
      const queued = NATS_QUEUE_PATTERNS.includes(pattern);
      const subscription = client.subscribe(pattern, {
        queue: queued ? NATS_WORKER_QUEUE : undefined,
        callback: this.getMessageHandler(pattern).bind(this) as (error: unknown, message: unknown) => void,
      });
      if (queued) {
        this.jobs.push(subscription);
      }
    }
  }

  /** Stops taking new jobs; health and cancel are still answered until the connection closes. */
  leaveQueueGroup(): void {
    this.jobs.forEach((subscription) => subscription.unsubscribe());
    this.jobs = [];
  }

  override getPublisher(natsMsg: unknown, id: string, ctx: NatsContext): Publish {
    const publish = super.getPublisher(natsMsg, id, ctx) as Publish;
    return (response) => {
      try {
        return publish(response);
      } catch (error) {
        if (!(error instanceof NatsPayloadTooLargeError)) {
          throw error;
        }
        this.log.warn({ bytes: error.bytes, maxPayload: error.maxPayload }, 'answer exceeds max_payload');
        const err: WorkerErrorPayload = {
          code: 'internal_error',
          message: `The result is larger than the NATS server's max_payload (${error.maxPayload} bytes); the operator can raise max_payload.`,
        };
        return publish({ err, isDisposed: true });
      }
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
