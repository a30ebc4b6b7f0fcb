import { RpcException } from '@nestjs/microservices';
import { WORKER_ERROR_CODES, type WorkerErrorCode, type WorkerErrorPayload } from '@app/contracts';

/** A failure the gateway can map to the public contract: a code and a sentence safe to show a client. */
export class WorkerError extends Error {
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = WorkerError.name;
  }

  toPayload(): WorkerErrorPayload {
    return { code: this.code, message: this.message };
  }
}

export function isWorkerErrorCode(value: unknown): value is WorkerErrorCode {
  return typeof value === 'string' && (WORKER_ERROR_CODES as readonly string[]).includes(value);
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
  internal: () => new WorkerError('internal_error', 'Recognition failed unexpectedly.'),
};

/**
 * What leaves the worker: `RpcException({ code, message })` for a known failure, and a generic
 * internal error for anything else, so no stack or path ever crosses the wire.
 */
export function toRpcException(error: unknown): RpcException {
  const known = error instanceof WorkerError ? error : WorkerErrors.internal();
  return new RpcException(known.toPayload());
}
