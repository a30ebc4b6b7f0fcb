/**
 * The entry of one inference-lane thread: builds its own OcrEngine from `workerData`, then runs
 * one image or PDF at a time for the main thread (see ThreadLane for the other side of the protocol).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { readDocument } from '../document/read-document';
import { OcrEngine, OcrError } from '../pipeline/ocr-engine';
import { describeError } from './describe-error';
import type { FromLane, LaneWorkerData, ToLane } from './lane-protocol';

type RecognizeMessage = Extract<ToLane, { type: 'recognize' }>;
type DocumentMessage = Extract<ToLane, { type: 'document' }>;

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
    fail(port, message, error);
  }
}

async function readPdf(
  port: MessagePort,
  engine: OcrEngine,
  data: LaneWorkerData,
  message: DocumentMessage,
): Promise<void> {
  const started = performance.now();
  try {
    const output = await readDocument(
      {
        document: new Uint8Array(message.document),
        pages: message.read?.pages,
        ocr: message.read?.ocr ?? 'auto',
        mode: message.read?.mode ?? 'text',
        deadline: message.deadline,
      },
      engine,
      { dpi: data.document.dpi, maxPixels: data.engine.maxPixels },
    );
    if (output.pages.length > 0) {
      collectGarbage?.();
    }
    send(port, {
      type: 'result',
      jobId: message.jobId,
      output: {
        kind: 'document',
        pageCount: output.pageCount,
        pages: output.pages,
        stageMs: { ...output.stageMs },
        inferenceMs: performance.now() - started,
      },
    });
  } catch (error) {
    fail(port, message, error);
  }
}

/** The contract's errors go back as they are; anything else is logged here and answered as internal. */
function fail(port: MessagePort, message: RecognizeMessage | DocumentMessage, error: unknown): void {
  if (error instanceof OcrError && error.code !== 'internal_error') {
    send(port, { type: 'failed', jobId: message.jobId, code: error.code, message: error.message });
    return;
  }
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  send(port, {
    type: 'log',
    level: 'error',
    message: `recognition failed for request ${message.requestId}: ${describeError(cause)}`,
  });
  send(port, {
    type: 'failed',
    jobId: message.jobId,
    code: 'internal_error',
    message: 'Recognition failed.',
  });
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
    send(port, { type: 'startFailed', message: describeError(error) });
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
    current =
      message.type === 'document' ? readPdf(port, engine, data, message) : recognize(port, engine, message);
  });
}

if (!parentPort) {
  throw new Error('lane.worker runs only as a worker thread');
}
void serve(parentPort, workerData as LaneWorkerData);
