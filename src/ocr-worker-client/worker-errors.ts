import { HttpStatus } from '@nestjs/common';
import {
  isWorkerErrorPayload,
  NatsPayloadTooLargeError,
  NoWorkerSubscribedError,
  type WorkerErrorCode,
} from '@app/contracts';
import { ApiError } from '../common/errors/api-error';
import { API_ERROR_CATALOGUE } from '../common/errors/error-catalogue';

/** Seconds a client should wait after worker_overloaded: about one image's recognition. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/** Socket failures that say the worker could not be reached, as opposed to an answer from it. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * The transport reached no worker without a socket error to say so: on NATS, the server's "no
 * responders" (no worker subscribed) or no connection to the NATS server.
 */
export class WorkerUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = WorkerUnreachableError.name;
  }
}

/** Room for the packet's JSON beside the image in a NATS message, for the limit a client is told. */
const NATS_ENVELOPE_BYTES = 1024;

/** ClientTCP fails requests that were in flight on a socket that closed with this message. */
const CONNECTION_CLOSED = 'Connection closed';

/**
 * True when the request did not get an answer because of the connection: refused, reset, closed,
 * or not established in time. Only these are worth one retry on a fresh connection; an answer
 * from the worker (an RpcException) or the deadline are final.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  if (error instanceof WorkerUnreachableError || error instanceof NoWorkerSubscribedError) {
    return true;
  }
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) || error.message === CONNECTION_CLOSED
  );
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/** What the worker's own codes mean to a client; its messages are written to be shown. */
function fromWorkerCode(code: WorkerErrorCode, message: string): ApiError {
  switch (code) {
    case 'invalid_image':
    case 'invalid_document':
      return new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, code, message);
    case 'image_too_large':
      return new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, code, message);
    case 'unsupported_media_type':
      return new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, code, message);
    case 'worker_overloaded':
      return overloadedError();
    case 'timeout':
    case 'cancelled':
      // Cancelled: nobody waits for this answer any more; the deadline's error is as good as any.
      return timeoutError();
    case 'internal_error':
      return internalError();
  }
}

export function overloadedError(): ApiError {
  return new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'worker_overloaded',
    API_ERROR_CATALOGUE.worker_overloaded.message,
    { 'Retry-After': String(OVERLOADED_RETRY_AFTER_SECONDS) },
  );
}

export function timeoutError(): ApiError {
  return new ApiError(HttpStatus.GATEWAY_TIMEOUT, 'timeout', API_ERROR_CATALOGUE.timeout.message);
}

export function unavailableError(): ApiError {
  return new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'worker_unavailable',
    API_ERROR_CATALOGUE.worker_unavailable.message,
  );
}

/**
 * An image that the link to the workers cannot carry (NATS `max_payload`, 1 MiB unless the
 * operator raised it): refused before it was sent, never cut into pieces.
 */
export function transportTooSmallError(maxPayload: number): ApiError {
  const limit = Math.max(0, maxPayload - NATS_ENVELOPE_BYTES);
  return new ApiError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'payload_too_large',
    `The image is larger than this server can pass to its OCR workers (about ${limit} bytes); send a smaller image.`,
  );
}

function internalError(): ApiError {
  return new ApiError(
    HttpStatus.INTERNAL_SERVER_ERROR,
    'internal_error',
    'The OCR failed unexpectedly. Quote the request id if you report it.',
  );
}

/**
 * Any failure of a worker call as the contract's error: the worker's codes as they are, the
 * deadline as 504 timeout, an unreachable worker as 503 worker_unavailable, anything else (an
 * unknown pattern, a malformed answer) as 500 internal_error with a message that says nothing
 * about the internals.
 */
export function toWorkerApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  if (isWorkerErrorPayload(error)) {
    return fromWorkerCode(error.code, error.message);
  }
  if (isTimeout(error)) {
    return timeoutError();
  }
  if (error instanceof NatsPayloadTooLargeError) {
    return transportTooSmallError(error.maxPayload);
  }
  if (isConnectionError(error)) {
    return unavailableError();
  }
  return internalError();
}
