import { ApiError } from '../errors/api-error';

/** What a spec asserts of a contract error: the status, the code and the client-facing message. */
export interface ApiErrorOutcome {
  status: number;
  code: string;
  message: string;
}

function outcome(error: unknown): ApiErrorOutcome {
  if (error instanceof ApiError) {
    return { status: error.getStatus(), code: error.code, message: error.message };
  }
  throw error;
}

/** The ApiError a promise rejects with; any other outcome fails the spec. */
export async function apiErrorOf(promise: Promise<unknown>): Promise<ApiErrorOutcome> {
  try {
    await promise;
  } catch (error) {
    return outcome(error);
  }
  throw new Error('expected an ApiError');
}

/** The ApiError a synchronous call throws; any other outcome fails the spec. */
export function apiErrorOfCall(fn: () => unknown): ApiErrorOutcome {
  try {
    fn();
  } catch (error) {
    return outcome(error);
  }
  throw new Error('expected an ApiError');
}
