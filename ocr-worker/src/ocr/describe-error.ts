/** An absolute file path inside a message, with what precedes it. */
const ABSOLUTE_PATH = /(^|[\s'"(=:])(?:[A-Za-z]:)?[\\/][^\s'"(),;]+/g;

/**
 * An error for a log line: its message with any file path cut out (onnxruntime and sharp name
 * files in theirs), never a stack.
 */
export function describeError(error: unknown): string {
  // Duck-typed: errors cloned from a worker thread may come from another realm.
  const message =
    typeof error === 'object' && error !== null && typeof (error as Error).message === 'string'
      ? (error as Error).message
      : 'unknown error';
  return message.replace(ABSOLUTE_PATH, '$1<path>').replace(/\s+/g, ' ').slice(0, 500);
}
