import { WorkerError } from '../common/errors/worker-error';

/** Node fires longer timers at once; a deadline that far away is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function deadlinePassed(): WorkerError {
  return new WorkerError('timeout', 'The document was not read within the time limit.');
}

/**
 * `work`, or `timeout` once `deadline` (epoch ms) passes, whichever comes first; `onTimeout`
 * stops the work that lost (a render task's cancel). A promise that never settles cannot hang
 * the job.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  deadline: number,
  onTimeout?: () => void,
): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) {
    onTimeout?.();
    work.catch(() => undefined);
    throw deadlinePassed();
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        onTimeout?.();
        reject(deadlinePassed());
      },
      Math.min(left, MAX_TIMER_MS),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
