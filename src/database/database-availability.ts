/** Raised instead of trying the database while the gate knows it cannot answer. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';

  constructor() {
    super('the database did not answer lately; not trying again yet');
  }
}

// SQLSTATEs of a server that cannot serve now, as opposed to a statement it refused: class 08
// (connection exception) and these: shutting down or starting up, out of connections or memory,
// statement or lock timeout.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53200', '57014', '55P03']);
/** Errors of a socket that got no answer at all. */
const UNREACHABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// node-postgres raises these without a code: the connect timeout, the client-side query timeout,
// a socket closed under a query without a word from the server.
const UNREACHABLE_MESSAGES =
  /^(Connection terminated due to connection timeout|Query read timeout|Connection terminated unexpectedly)/;
// And these once a connection is gone or the pool is saturated.
const UNAVAILABLE_MESSAGES =
  /^(timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Client was closed)/;
/** TypeORM's own "no connection" errors (e.g. its data source never initialised). */
const TYPEORM_UNAVAILABLE = new Set(['CannotExecuteNotConnectedError', 'ConnectionIsNotSetError']);

/** The driver's error behind TypeORM's QueryFailedError (which keeps it in `driverError`). */
function driverErrorOf(error: Error): Error {
  const driverError = (error as { driverError?: unknown }).driverError;
  return driverError instanceof Error ? driverError : error;
}

function codeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether an error thrown by a database call means the database is down, frozen or overloaded
 * (answer 503 and retry later) rather than a fault of the statement or its data.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const cause = driverErrorOf(error);
  if (cause instanceof DatabaseUnavailableError || isDatabaseUnreachable(error)) {
    return true;
  }
  if (TYPEORM_UNAVAILABLE.has(error.name)) {
    return true;
  }
  const code = codeOf(cause);
  if (code !== undefined) {
    return code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code);
  }
  return UNAVAILABLE_MESSAGES.test(cause.message);
}

/**
 * The narrower case the gate acts on: the server gave no answer at all (refused, unreachable,
 * silent past a deadline). A server that answers with an error, even "too many connections", is up.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const cause = driverErrorOf(error);
  const code = codeOf(cause);
  return code !== undefined ? UNREACHABLE_ERRNOS.has(code) : UNREACHABLE_MESSAGES.test(cause.message);
}

/**
 * A circuit breaker in front of the pool, so that a database that stopped answering costs the
 * requests after the first failure nothing: while it is closed, connections are refused at once
 * (DatabaseUnavailableError, answered 503 database_unavailable), and every `retryMs` one caller is
 * let through to probe. Any query that succeeds opens it again.
 */
export class DatabaseGate {
  private retryAt = 0;

  constructor(
    private readonly retryMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when the caller may try the database now. */
  admit(): boolean {
    if (this.retryAt === 0) {
      return true;
    }
    const now = this.now();
    if (now < this.retryAt) {
      return false;
    }
    // This caller probes; the others keep failing fast until it has an answer.
    this.retryAt = now + this.retryMs;
    return true;
  }

  failed(): void {
    this.retryAt = this.now() + this.retryMs;
  }

  succeeded(): void {
    this.retryAt = 0;
  }

  get open(): boolean {
    return this.retryAt === 0;
  }
}
