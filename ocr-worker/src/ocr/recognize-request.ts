import { OCR_MODES, type DeclaredImage, type OcrMode, type RecognizeRequest } from '@app/contracts';
import { WorkerError } from '../common/errors/worker-error';

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Checks a recognize message from the gateway. A missing or empty image is the client's problem
 * (`invalid_image`); any other malformed field is a gateway bug (`internal_error`).
 */
export function parseRecognizeRequest(data: unknown): RecognizeRequest {
  const request = (typeof data === 'object' && data !== null ? data : {}) as Partial<
    Record<keyof RecognizeRequest, unknown>
  >;
  const { jobId, requestId, bytes, image, mode, deadline } = request;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) {
    throw new WorkerError('invalid_image', 'The image is empty.');
  }
  if (typeof jobId !== 'string' || !ID.test(jobId)) {
    throw malformed('jobId');
  }
  if (typeof requestId !== 'string' || !ID.test(requestId)) {
    throw malformed('requestId');
  }
  if (!isDeclaredImage(image)) {
    throw malformed('image');
  }
  if (typeof mode !== 'string' || !(OCR_MODES as readonly string[]).includes(mode)) {
    throw malformed('mode');
  }
  if (typeof deadline !== 'number' || !Number.isFinite(deadline)) {
    throw malformed('deadline');
  }
  return { jobId, requestId, bytes, image, mode: mode as OcrMode, deadline };
}

/** The request id of a message, for log lines: only when it is a sane one. */
export function requestIdOf(data: unknown): string | undefined {
  const requestId = (data as { requestId?: unknown } | null | undefined)?.requestId;
  return typeof requestId === 'string' && ID.test(requestId) ? requestId : undefined;
}

function isDeclaredImage(value: unknown): value is DeclaredImage {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const { format, width, height } = value as Partial<Record<keyof DeclaredImage, unknown>>;
  return typeof format === 'string' && isDimension(width) && isDimension(height);
}

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function malformed(field: string): WorkerError {
  return new WorkerError('internal_error', `The recognize request has an invalid ${field}.`);
}
