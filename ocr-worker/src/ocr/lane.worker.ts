/**
 * The entry of one inference-lane thread: builds its own OcrEngine from `workerData`, then runs
 * one image at a time for the main thread (see ThreadLane for the other side of the protocol).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { WorkerError } from '../common/errors/worker-error';
import { OcrEngine } from '../pipeline/ocr-engine';
import type { FromLane, LaneWorkerData, ToLane } from './lane-protocol';

type RecognizeMessage = Extract<ToLane, { type: 'recognize' }>;

/**
 * After an image this large, collect garbage at once: its decoded buffers (a 35-megapixel scan
 * holds hundreds of MB) otherwise wait for a collection that an idle lane never triggers, and
 * every lane would keep its largest image's worth of memory. Measured: about 100 MiB less held
 * per lane after A4 scans, a few ms per collection.
 */
const COLLECT_AFTER_PIXELS = 4_000_000;
const collectGarbage = (globalThis as { gc?: () => void }).gc;

function send(port: MessagePort, message: FromLane): void {
  port.postMessage(message);
}

/** Only the message crosses to the main thread, whose logger cuts any path out of it. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : 'unknown error';
}

async function recognize(port: MessagePort, engine: OcrEngine, message: RecognizeMessage): Promise<void> {
  const started = performance.now();
  try {
    const result = await engine.recognize(Buffer.from(message.image), message.mode);
    if (result.width * result.height >= COLLECT_AFTER_PIXELS) {
      collectGarbage?.();
    }
    const inferenceMs = performance.now() - started;
    send(port, {
      type: 'result',
      jobId: message.jobId,
      output: { ...result, stageMs: { ...result.stageMs }, inferenceMs },
    });
  } catch (error) {
    // Logged once, by the main thread's exception filter, under the request id.
    const failure = WorkerError.from(error);
    send(port, {
      type: 'failed',
      jobId: message.jobId,
      code: failure.code,
      message: failure.message,
      ...(failure.code === 'internal_error' ? { cause: messageOf(failure.cause ?? failure) } : {}),
    });
  }
}

async function serve(port: MessagePort, data: LaneWorkerData): Promise<void> {
  const logger = {
    log: (message: string) => send(port, { type: 'log', level: 'log', message }),
    warn: (message: string) => send(port, { type: 'log', level: 'warn', message }),
  };
  let engine: OcrEngine;
  try {
    engine = await OcrEngine.create({ ...data.engine, logger });
  } catch (error) {
    send(port, { type: 'startFailed', message: messageOf(error) });
    port.close();
    return;
  }
  send(port, { type: 'ready', device: engine.device, model: engine.model });
  let current: Promise<void> = Promise.resolve();
  port.on('message', (message: ToLane) => {
    if (message.type === 'close') {
      // Sessions are released only after the image in progress, which still uses them.
      void current.then(() => engine.close()).finally(() => port.close());
      return;
    }
    current = recognize(port, engine, message);
  });
}

if (!parentPort) {
  throw new Error('lane.worker runs only as a worker thread');
}
void serve(parentPort, workerData as LaneWorkerData);
