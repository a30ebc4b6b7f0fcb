/**
 * The message contract between the gateway and the private OCR workers: NestJS's TCP transport
 * (framed by transport/framed-socket.ts so that Buffers travel as raw bytes), or its NATS
 * transport (the same frame as each message's bytes, transport/nats-codec.ts).
 * Shared by both apps; holds no providers.
 */

/** How the gateway reaches its workers (WORKER_TRANSPORT): TCP, the default, or NATS. */
export const WORKER_TRANSPORTS = ['tcp', 'nats'] as const;
export type WorkerTransportKind = (typeof WORKER_TRANSPORTS)[number];

/**
 * On NATS, every worker subscribes to `ocr.recognize` in this queue group: the server hands each
 * job to one member, so any number of worker hosts share the load, and one that disconnects (or
 * stops answering the server's pings) drops out. `ocr.health` and `ocr.cancel` reach every worker
 * (no queue group): the gateway counts the health answers, and the one worker holding a job drops it.
 */
export const NATS_WORKER_QUEUE = 'ocr-workers';

export const OcrPatterns = {
  recognize: 'ocr.recognize',
  health: 'ocr.health',
  /** An event (no answer): the gateway no longer waits for job `jobId`; a queued job is dropped. */
  cancel: 'ocr.cancel',
} as const;

/** The patterns a worker on NATS takes in the NATS_WORKER_QUEUE group; the others reach every worker. */
export const NATS_QUEUE_PATTERNS: readonly string[] = [OcrPatterns.recognize];

export const OCR_MODES = ['text', 'lines', 'markdown'] as const;
export type OcrMode = (typeof OCR_MODES)[number];

export type Point = [number, number];
export type Quad = [Point, Point, Point, Point];

/** What the gateway's image check found: the worker trusts it for scheduling, sharp still guards decoding. */
export interface DeclaredImage {
  format: string;
  width: number;
  height: number;
}

export interface RecognizeRequest {
  /** Chosen by the gateway for this call, unguessable: what `ocr.cancel` names. */
  jobId: string;
  /** The client's request id, for the worker's logs. */
  requestId: string;
  /** The image bytes, raw (an attachment of the frame). */
  bytes: Uint8Array;
  image: DeclaredImage;
  mode: OcrMode;
  /** Epoch milliseconds after which the gateway no longer waits: the worker drops the job unstarted. */
  deadline: number;
}

export interface CancelRequest {
  jobId: string;
}

/** A word: a maximal run of non-space characters of its line. */
export interface OcrWord {
  text: string;
  confidence: number;
  /** The part of its line's box the word covers, corners in the line box's order. */
  box: Quad;
}

export interface OcrLine {
  text: string;
  confidence: number;
  box: Quad;
  /** The line's words in reading order; joined by single spaces they are `text`. */
  words: OcrWord[];
}

export interface OcrTiming {
  totalMs: number;
  queueMs: number;
  inferenceMs: number;
}

/**
 * Why an image is likely to read badly (so an app can ask for a better photo): the text is
 * `blurry`, `small_text`, the photo `dark`, or paper and ink of `low_contrast`. `rotated` says the
 * page had to be turned 90, 180 or 270 degrees to be read (the boxes stay in the image as sent).
 */
export const QUALITY_WARNINGS = ['blurry', 'small_text', 'dark', 'low_contrast', 'rotated'] as const;
export type QualityWarning = (typeof QUALITY_WARNINGS)[number];

/** What the worker answers; the gateway adds `id` and `cached` to make the public result. */
export interface RecognizeResult {
  text: string;
  lines: OcrLine[];
  markdown?: string;
  width: number;
  height: number;
  /** Empty when nothing suggests the image reads badly. */
  warnings: QualityWarning[];
  model: string;
  device: 'cpu' | 'cuda';
  timing: OcrTiming;
}

export interface WorkerHealth {
  status: 'ok';
  /** Which worker process answered (host name and pid): how a gateway on NATS counts its workers. */
  instance?: string;
  device: 'cpu' | 'cuda';
  model: string;
  lanes: number;
  queueDepth: number;
  inFlight: number;
  maxQueue: number;
}

/** Codes the worker puts in `RpcException({ code, message })`; each maps to a contract error. */
export const WORKER_ERROR_CODES = [
  'invalid_image',
  'image_too_large',
  'unsupported_media_type',
  'worker_overloaded',
  'timeout',
  'cancelled',
  'internal_error',
] as const;
export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

export interface WorkerErrorPayload {
  code: WorkerErrorCode;
  message: string;
}

export function isWorkerErrorCode(value: unknown): value is WorkerErrorCode {
  return typeof value === 'string' && (WORKER_ERROR_CODES as readonly string[]).includes(value);
}

/**
 * A worker's `RpcException({ code, message })` as the gateway receives it: a plain object (an
 * `Error` is a failure of the transport or the client, never an answer of the worker).
 */
export function isWorkerErrorPayload(value: unknown): value is WorkerErrorPayload {
  if (typeof value !== 'object' || value === null || value instanceof Error) {
    return false;
  }
  const { code, message } = value as Partial<Record<keyof WorkerErrorPayload, unknown>>;
  return isWorkerErrorCode(code) && typeof message === 'string';
}
