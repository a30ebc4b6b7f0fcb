import { OCR_MODES, type OcrMode, type RecognizeRequest } from '@app/contracts';
import { WorkerError } from './worker-error';

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Checks a recognize message from the gateway. A missing or empty image is the client's problem
 * (`invalid_image`); any other malformed field is a gateway bug (`internal_error`).
 */
export function parseRecognizeRequest(data: unknown): RecognizeRequest {
  const request = (typeof data === 'object' && data !== null ? data : {}) as Partial<
    Record<keyof RecognizeRequest, unknown>
  >;
  const { requestId, image, mode, deadline } = request;
  if (typeof image !== 'string' || image.length === 0) {
    throw new WorkerError('invalid_image', 'The image is empty.');
  }
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) {
    throw malformed('requestId');
  }
  if (typeof mode !== 'string' || !(OCR_MODES as readonly string[]).includes(mode)) {
    throw malformed('mode');
  }
  if (typeof deadline !== 'number' || !Number.isFinite(deadline)) {
    throw malformed('deadline');
  }
  return { requestId, image, mode: mode as OcrMode, deadline };
}

/**
 * Decodes base64 into an ArrayBuffer of its own (never a slice of Node's shared pool), so it can
 * be transferred to a lane thread without copying.
 */
export function decodeImage(base64: string): ArrayBuffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(base64, 'base64'));
  const written = bytes.write(base64, 'base64');
  if (written === bytes.length) {
    return bytes.buffer;
  }
  const exact = new Uint8Array(written);
  exact.set(bytes.subarray(0, written));
  return exact.buffer;
}

function malformed(field: string): WorkerError {
  return new WorkerError('internal_error', `The recognize request has an invalid ${field}.`);
}
