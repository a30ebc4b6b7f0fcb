import type { WorkerErrorCode, WorkerErrorPayload } from '@app/contracts';

/**
 * The worker's one error: a code of the contract (`@app/contracts` WORKER_ERROR_CODES) and a
 * sentence written for the API client (no paths, library internals or stack traces). Thrown
 * anywhere in the worker, the pipeline in a lane thread included; WorkerExceptionsFilter turns it
 * into the `RpcException({ code, message })` the gateway reads. `cause`, never sent, is what the
 * filter logs of an unexpected failure.
 */
export class WorkerError extends Error {
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = WorkerError.name;
  }

  /** A WorkerError as it is; anything else is an unexpected internal_error caused by it. */
  static from(error: unknown): WorkerError {
    return error instanceof WorkerError ? error : WorkerErrors.internal(error);
  }

  /** What crosses the wire: the code and the message, nothing of the cause. */
  toPayload(): WorkerErrorPayload {
    return { code: this.code, message: this.message };
  }
}

export const WorkerErrors = {
  overloaded: () => new WorkerError('worker_overloaded', 'The OCR worker is busy; retry shortly.'),
  shuttingDown: () => new WorkerError('worker_overloaded', 'The OCR worker is shutting down; retry shortly.'),
  timeout: () => new WorkerError('timeout', 'The request reached its deadline before recognition started.'),
  cancelled: () => new WorkerError('cancelled', 'The caller stopped waiting before recognition started.'),
  overran: () => new WorkerError('timeout', 'Recognition did not finish before the deadline.'),
  laneCrashed: () =>
    new WorkerError('internal_error', 'Recognition failed unexpectedly; the request can be retried.'),
  interrupted: () => new WorkerError('internal_error', 'Recognition was interrupted by a worker shutdown.'),
  internal: (cause?: unknown) =>
    new WorkerError(
      'internal_error',
      'Recognition failed unexpectedly.',
      cause === undefined ? undefined : { cause },
    ),
};
