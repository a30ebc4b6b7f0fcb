import { randomUUID } from 'node:crypto';
import { createInbox, type NatsConnection } from 'nats';
import { Observable } from 'rxjs';
import { OcrPatterns, type WorkerHealth } from '../ocr-worker.contract';
import { decodeNatsMessage, encodeNatsMessage } from './nats-codec';

/** The NATS server's "no responders": no worker is subscribed to `ocr.health` at all. */
export class NoWorkerSubscribedError extends Error {
  constructor() {
    super('No OCR worker is subscribed on NATS.');
    this.name = NoWorkerSubscribedError.name;
  }
}

type CensusAnswer = { response?: WorkerHealth; err?: unknown };

/**
 * Asks every worker on `nc` for its health (`ocr.health` reaches all of them) and emits the
 * answers that arrived within `windowMs` of the first, then completes; no worker subscribed (the
 * server's "no responders") fails with NoWorkerSubscribedError at once, and no answer at all
 * waits for the caller's own timeout. Also what `npm start` and the worker's health check use to see a worker answer.
 */
export function natsCensus(nc: NatsConnection, windowMs: number): Observable<WorkerHealth[]> {
  return new Observable<WorkerHealth[]>((subscriber) => {
    const answers: WorkerHealth[] = [];
    let window: NodeJS.Timeout | undefined;
    const inbox = createInbox();
    const subscription = nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error || msg.data.length === 0) {
          // An empty message is the server's "no responders" status: no worker at all.
          subscriber.error(new NoWorkerSubscribedError());
          return;
        }
        const answer = safeDecode(msg.data);
        if (answer?.response && typeof answer.response === 'object') {
          answers.push(answer.response);
          window ??= setTimeout(() => {
            subscriber.next(answers);
            subscriber.complete();
          }, windowMs);
        }
      },
    });
    try {
      const packet = { pattern: OcrPatterns.health, data: {}, id: randomUUID() };
      nc.publish(OcrPatterns.health, encodeNatsMessage(packet), { reply: inbox });
    } catch (error) {
      subscriber.error(error);
    }
    return () => {
      clearTimeout(window);
      subscription.unsubscribe();
    };
  });
}

function safeDecode(data: Uint8Array): CensusAnswer | undefined {
  try {
    return decodeNatsMessage(data) as CensusAnswer;
  } catch {
    return undefined;
  }
}
