import type { WorkerErrorCode } from '@app/contracts';

/**
 * A failure the caller can act on, carrying the contract's error code. Messages are written for
 * the API client: no paths, library internals or stack traces.
 */
export class OcrError extends Error {
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OcrError';
  }
}
