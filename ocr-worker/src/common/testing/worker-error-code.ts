import { WorkerError } from '../errors/worker-error';

function codeOf(error: unknown): string {
  return error instanceof WorkerError ? error.code : `not a WorkerError: ${String(error)}`;
}

/** The code of the WorkerError a promise rejects with, or `resolved`: what a spec compares. */
export async function workerErrorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return codeOf(error);
  }
}

/** The code of the WorkerError a synchronous call throws, or `returned`. */
export function workerErrorCodeOfCall(fn: () => unknown): string {
  try {
    fn();
    return 'returned';
  } catch (error) {
    return codeOf(error);
  }
}
