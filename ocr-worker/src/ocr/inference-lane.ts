import type { OcrLine, OcrMode, QualityWarning } from '@app/contracts';

export type DeviceKind = 'cpu' | 'cuda';

/** One image for a lane; the bytes travel as a transferable ArrayBuffer. */
export interface LaneTask {
  requestId: string;
  image: ArrayBuffer;
  mode: OcrMode;
}

/** What the engine produced, plus the time the lane spent in it. */
export interface LaneOutput {
  text: string;
  lines: OcrLine[];
  markdown?: string;
  width: number;
  height: number;
  warnings: QualityWarning[];
  stageMs: Record<string, number>;
  inferenceMs: number;
}

/**
 * An inference lane: one engine that runs one image at a time, off the main event loop.
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
