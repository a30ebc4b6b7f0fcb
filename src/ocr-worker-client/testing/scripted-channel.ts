import { NEVER, type Observable, of, throwError } from 'rxjs';
import { OcrPatterns, type WorkerHealth } from '@app/contracts';
import type { WorkerChannel } from '../worker-link';

export type Reply = () => Observable<unknown>;

/** A WorkerChannel whose answers are scripted per call, recording what was sent and emitted. */
export class ScriptedChannel implements WorkerChannel {
  readonly sent: Array<{ pattern: string; data: unknown }> = [];
  readonly emitted: Array<{ pattern: string; data: unknown }> = [];
  drops = 0;

  constructor(readonly replies: Reply[] = []) {}

  send<R>(pattern: string, data: unknown): Observable<R> {
    this.sent.push({ pattern, data });
    const reply = this.replies.shift();
    if (!reply) {
      throw new Error(`unexpected send #${this.sent.length} (${pattern})`);
    }
    return reply() as Observable<R>;
  }

  health(): Observable<WorkerHealth> {
    return this.send<WorkerHealth>(OcrPatterns.health, {});
  }

  emit(pattern: string, data: unknown): Observable<unknown> {
    this.emitted.push({ pattern, data });
    return of(undefined);
  }

  dropConnection(): void {
    this.drops += 1;
  }

  close(): void {}
}

export const refused: Reply = () =>
  throwError(() => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
export const silent: Reply = () => NEVER;

export function healthAnswer(overrides: Partial<WorkerHealth> = {}): Reply {
  return () =>
    of({
      status: 'ok',
      model: 'PP-OCRv4 probe',
      device: 'cpu',
      lanes: 2,
      queueDepth: 0,
      inFlight: 0,
      maxQueue: 4,
      ...overrides,
    } satisfies WorkerHealth);
}
