import type { DestinationStream, Logger } from 'pino';
import { createProcessLogger, type ProcessLogLevel } from '@app/logging';

/** An absolute file path inside a message, with what precedes it. */
const ABSOLUTE_PATH = /(^|[\s'"(=:])(?:[A-Za-z]:)?[\\/][^\s'"(),;]+/g;
/** How many causes deep an error is written: a WorkerError and what caused it is the usual two. */
const MAX_CAUSES = 2;

/**
 * The worker's root logger, in the installation's one format (see @app/logging). An error (`err`)
 * is written by its type, its code, its path-free message and its cause, never a stack: the
 * worker's errors come from its own pipeline and models, not from a client's headers.
 */
export function createWorkerLogger(
  level: ProcessLogLevel,
  options: { sync?: boolean; stream?: DestinationStream } = {},
): Logger {
  return createProcessLogger({
    service: 'worker',
    level,
    sync: options.sync,
    stream: options.stream,
    errorSerializer: (err: unknown) => describeError(err, MAX_CAUSES),
  });
}

/** onnxruntime and sharp name files in their messages; those paths are cut out. */
function describeError(error: unknown, causes: number): Record<string, unknown> {
  // Duck-typed: an error may come from another realm (a worker thread, a native addon).
  const { message, code, cause } = (typeof error === 'object' && error !== null ? error : {}) as {
    message?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  return {
    type: error instanceof Error ? error.constructor.name : typeof error,
    ...(typeof code === 'string' ? { code } : {}),
    message:
      typeof message === 'string'
        ? message.replace(ABSOLUTE_PATH, '$1<path>').replace(/\s+/g, ' ').slice(0, 500)
        : 'unknown error',
    ...(cause !== undefined && causes > 0 ? { cause: describeError(cause, causes - 1) } : {}),
  };
}
