import { isatty } from 'node:tty';
import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

/** The processes of an installation; every line carries one of these as `service`. */
export const SERVICES = ['gateway', 'worker', 'supervisor', 'cli'] as const;
export type Service = (typeof SERVICES)[number];

export type ProcessLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Never written, whoever logs a request, a response or a credential by mistake. The gateway's
 * request log would carry the first three; the rest guard the structured fields of any process.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'key',
  'apiKey',
  'password',
  'secret',
];

export interface ProcessLoggerOptions {
  service: Service;
  level: ProcessLogLevel;
  /** File descriptor written to: 1 (stdout) by default; the CLI keeps stdout for its results. */
  fd?: 1 | 2;
  /** Human-readable lines instead of JSON; default: whether `fd` is a terminal. */
  pretty?: boolean;
  /**
   * Write each line before returning (default false: buffered, flushed at exit). A short-lived
   * process that also writes to `fd` itself (the supervisor's banner) keeps its lines in order.
   */
  sync?: boolean;
  /** Where the lines go instead of `fd` (tests). */
  stream?: DestinationStream;
  /**
   * How an `err` field is written. Default: its type only, since an error's message can quote a
   * request (a header, a URL) and its stack names files; a process whose messages are known to
   * be safe passes its own.
   */
  errorSerializer?: (err: unknown) => Record<string, unknown>;
}

function errorType(err: unknown): Record<string, unknown> {
  return { type: err instanceof Error ? err.constructor.name : typeof err };
}

/** One terminal line per event, the service in front, the structured fields after the message. */
function prettyStream(fd: number): DestinationStream {
  return pinoPretty({
    destination: fd,
    // A terminal is read by a person, a line at a time: no buffering.
    sync: true,
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{service}{if context} [{context}]{end}: {msg}',
  });
}

/**
 * The root logger of any process of the installation: pino JSON lines (`level`, `time`,
 * `service`, `msg`, then structured fields), or the same events readable on a terminal. The
 * gateway binds `requestId` per request; the worker puts the gateway's id on each job's lines.
 */
export function createProcessLogger(options: ProcessLoggerOptions): Logger {
  const fd = options.fd ?? 1;
  const pretty = options.pretty ?? isatty(fd);
  const stream =
    options.stream ?? (pretty ? prettyStream(fd) : pino.destination({ fd, sync: options.sync ?? false }));
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // No request body, query string, header or error stack is ever serialised.
      serializers: { err: options.errorSerializer ?? errorType },
    },
    stream,
  );
}
