import type { DestinationStream, Logger } from 'pino';
import { createProcessLogger, type ProcessLogLevel } from '@app/logging';
import { describeError } from '../ocr/describe-error';

/**
 * The worker's root logger, in the installation's one format (see @app/logging). An error is
 * written by its type and its path-free message, never a stack: the worker's errors come from
 * its own pipeline and models, not from a client's headers.
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
    errorSerializer: (err: unknown) => ({
      type: err instanceof Error ? err.constructor.name : typeof err,
      message: describeError(err),
    }),
  });
}
