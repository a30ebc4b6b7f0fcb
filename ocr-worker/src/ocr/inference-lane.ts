import type { DocumentOcrPolicy, DocumentPage, OcrLine, OcrMode, QualityWarning } from '@app/contracts';

export type DeviceKind = 'cpu' | 'cuda';

/** One image for a lane; the bytes travel as a transferable ArrayBuffer. */
export interface ImageTask {
  kind?: 'image';
  requestId: string;
  image: ArrayBuffer;
  mode: OcrMode;
}

/**
 * A PDF for a lane: opened there (pdf.js), its chosen pages read from their text layers or
 * rendered and recognised by the lane's engine. Without `read` the lane only counts its pages.
 */
export interface DocumentTask {
  kind: 'document';
  requestId: string;
  document: ArrayBuffer;
  read?: { pages: number[]; ocr: DocumentOcrPolicy; mode: OcrMode };
  /** Epoch milliseconds: the lane stops reading (timeout) once it passes. */
  deadline: number;
}

export type LaneTask = ImageTask | DocumentTask;

/** What the engine produced for an image, plus the time the lane spent in it. */
export interface ImageOutput {
  kind?: 'image';
  text: string;
  lines: OcrLine[];
  markdown?: string;
  width: number;
  height: number;
  warnings: QualityWarning[];
  stageMs: Record<string, number>;
  inferenceMs: number;
}

/** The pages read of a document (none when it was only counted), plus the time the lane spent. */
export interface DocumentOutput {
  kind: 'document';
  pageCount: number;
  pages: DocumentPage[];
  stageMs: Record<string, number>;
  inferenceMs: number;
}

export type LaneOutput = ImageOutput | DocumentOutput;

/**
 * An inference lane: one engine that runs one image (or document) at a time, off the main event loop.
 * `run` rejects with a WorkerError; `exited` settles when the lane is gone for good.
 */
export interface InferenceLane {
  readonly id: number;
  readonly device: DeviceKind;
  readonly model: string;
  /** False from the moment the lane stops, before its pending run is rejected. */
  readonly alive: boolean;
  run(task: LaneTask): Promise<LaneOutput>;
  /** Resolves when the lane stops; `crashed` is false only after `close()`. */
  readonly exited: Promise<{ crashed: boolean }>;
  close(): Promise<void>;
  /** Stops the lane at once, mid-inference if need be; it then exits as crashed (to be replaced). */
  abort(): Promise<void>;
}

export type LaneFactory = (id: number) => Promise<InferenceLane>;
