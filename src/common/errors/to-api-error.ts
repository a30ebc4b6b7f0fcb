import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../database/database-availability';
import { ApiError, ApiErrorCode } from './api-error';
import { API_ERROR_CATALOGUE } from './error-catalogue';

export const INTERNAL_ERROR_MESSAGE = 'An unexpected error occurred. Quote the request id if you report it.';

/** Seconds a client should wait before retrying when the database is down. */
export const DATABASE_RETRY_AFTER_SECONDS = 1;

/**
 * What body-parser (and raw-body) attach to the errors they raise: a `type`, or, for a body that
 * failed to decompress, zlib's `errno` with the status body-parser gave it.
 */
interface BodyParserError {
  type?: string;
  errno?: number;
  status: number;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { type, errno, status } = error as { type?: unknown; errno?: unknown; status?: unknown };
  return typeof status === 'number' && (typeof type === 'string' || (typeof errno === 'number' && status < 500));
}

export function databaseUnavailable(): ApiError {
  return new ApiError(503, 'database_unavailable', API_ERROR_CATALOGUE.database_unavailable.message, {
    'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS),
  });
}

/** Body-parser's failures in the contract's terms; undefined for any other error. */
export function fromBodyParserError(error: unknown): ApiError | undefined {
  if (!isBodyParserError(error)) {
    return undefined;
  }
  if (error.type === undefined) {
    return new ApiError(
      400,
      'validation_failed',
      'The request body could not be decompressed: it does not match its Content-Encoding.',
    );
  }
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(
        413,
        'payload_too_large',
        error.limit
          ? `The request body exceeds the limit of ${error.limit} bytes.`
          : 'The request body is too large.',
      );
    case 'entity.parse.failed':
      return new ApiError(400, 'validation_failed', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
      return new ApiError(
        415,
        'unsupported_media_type',
        'The request body uses an unsupported Content-Encoding.',
      );
    case 'charset.unsupported':
      return new ApiError(
        415,
        'unsupported_media_type',
        'The request body uses an unsupported charset; send UTF-8.',
      );
    case 'request.aborted':
    case 'request.size.invalid':
      return new ApiError(400, 'validation_failed', 'The request body was incomplete.');
    default:
      return error.status >= 400 && error.status < 500
        ? new ApiError(error.status, codeForStatus(error.status), 'The request body could not be read.')
        : undefined;
  }
}

/** The contract's code for an HTTP status raised by code that did not choose one. */
export function codeForStatus(status: number): ApiErrorCode {
  switch (status) {
    case 401:
      return 'invalid_api_key';
    case 403:
      return 'forbidden';
    case 404:
    case 405:
      return 'not_found';
    case 408:
      return 'request_timeout';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 431:
      return 'headers_too_large';
    case 429:
      return 'rate_limited';
    case 503:
      return 'worker_unavailable';
    case 504:
      return 'timeout';
    default:
      return status >= 500 ? 'internal_error' : 'validation_failed';
  }
}

/** Nest's own 404 for an unknown route says "Cannot GET /x"; we answer with a hint instead. */
const ROUTE_NOT_FOUND = /^Cannot [A-Z]+ /;

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'object' && response !== null) {
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) {
      return message.map(String).join('; ');
    }
    if (typeof message === 'string') {
      return message;
    }
  }
  return exception.message;
}

/**
 * Any thrown value as a contract error. `request` names the route in a 404. Messages of 5xx
 * errors not raised as ApiError are replaced: they may hold SQL, paths or internals. A database
 * that is down, frozen or saturated is a 503 a load balancer understands, not a 500.
 */
export function toApiError(exception: unknown, request?: { method?: string; path?: string }): ApiError {
  if (exception instanceof ApiError) {
    return exception;
  }
  const fromParser = fromBodyParserError(exception);
  if (fromParser) {
    return fromParser;
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) {
      return new ApiError(status, codeForStatus(status), INTERNAL_ERROR_MESSAGE);
    }
    const message = messageOf(exception);
    if (status === 404 && ROUTE_NOT_FOUND.test(message)) {
      const route =
        request?.method && request.path ? `${request.method} ${request.path.slice(0, 200)}` : 'this route';
      return new ApiError(404, 'not_found', `No endpoint matches ${route}. The API is described at /docs.`);
    }
    return new ApiError(status, codeForStatus(status), message);
  }
  if (isDatabaseUnavailable(exception)) {
    return databaseUnavailable();
  }
  return new ApiError(500, 'internal_error', INTERNAL_ERROR_MESSAGE);
}
