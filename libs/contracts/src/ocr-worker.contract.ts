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
  /** Opens a document and counts its pages (what the gateway reserves quota for). */
  inspectDocument: 'ocr.document.inspect',
  /** Reads chosen pages of a document: from its text layer, or rendered and recognised. */
  readDocument: 'ocr.document.read',
} as const;

/** Patterns every worker on NATS hears (the gateway counts health answers; the holder of a job cancels it). */
const BROADCAST_PATTERNS: readonly string[] = [OcrPatterns.health, OcrPatterns.cancel];

/**
 * The patterns a worker on NATS takes in the NATS_WORKER_QUEUE group: every piece of work (an
 * image, a document's inspection or reading) goes to one worker. Work by default, so a pattern
 * added later cannot be done by every worker at once.
 */
export const NATS_QUEUE_PATTERNS: readonly string[] = Object.values(OcrPatterns).filter(
  (pattern) => !BROADCAST_PATTERNS.includes(pattern),
);

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

/**
 * `auto`: a page with a text layer is read from it, a page without one (a scan) is rendered and
 * recognised; `always`: every page is rendered and recognised.
 */
export const DOCUMENT_OCR_POLICIES = ['auto', 'always'] as const;
export type DocumentOcrPolicy = (typeof DOCUMENT_OCR_POLICIES)[number];

export interface InspectDocumentRequest {
  jobId: string;
  requestId: string;
  /** The PDF, raw (an attachment of the frame). */
  bytes: Uint8Array;
  deadline: number;
}

export interface DocumentInfo {
  pageCount: number;
}

export interface ReadDocumentRequest extends InspectDocumentRequest {
  /** 1-based page numbers, ascending, each at most the document's page count. */
  pages: number[];
  ocr: DocumentOcrPolicy;
  mode: OcrMode;
}

/** Where a page's text came from: the PDF's own text layer, or recognition of its rendering. */
export const PAGE_SOURCES = ['text-layer', 'ocr'] as const;
export type PageSource = (typeof PAGE_SOURCES)[number];

/**
 * One page of a document: like an image's result, in the pixels of the page rendered at the
 * worker's PDF_RENDER_DPI (text-layer pages too, so the source never changes the coordinates).
 */
export interface DocumentPage {
  /** 1-based, as in the document. */
  page: number;
  width: number;
  height: number;
  text: string;
  lines: OcrLine[];
  markdown?: string;
  source: PageSource;
  warnings: QualityWarning[];
}

export interface ReadDocumentResult {
  pages: DocumentPage[];
  /** The pages' texts, joined by a blank line. */
  text: string;
  model: string;
  device: 'cpu' | 'cuda';
  timing: OcrTiming;
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
  /** A PDF that cannot be opened or read: damaged, or encrypted with a password. */
  'invalid_document',
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
