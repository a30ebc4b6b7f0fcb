import type { LogLevel } from '@nestjs/common';
import type { OcrMode } from '@app/contracts';
import type { DeviceKind, LaneOutput } from './inference-lane';
import type { ModelPaths, OcrDevice } from '../config/worker-config';

/** What a lane thread needs to build its engine (structured-cloned into the thread). */
export interface LaneWorkerData {
  laneId: number;
  engine: ModelPaths & {
    device: OcrDevice;
    intraOpThreads: number;
    optimizedModelDir?: string;
    detLimitSideLen: number;
    useAngleCls: boolean;
    recBatchSize: number;
    maxPixels: number;
  };
}

export type ToLane =
  | { type: 'recognize'; jobId: number; requestId: string; image: ArrayBuffer; mode: OcrMode }
  | { type: 'close' };

export type FromLane =
  | { type: 'ready'; device: DeviceKind; model: string }
  | { type: 'startFailed'; message: string }
  | { type: 'result'; jobId: number; output: LaneOutput }
  /** `cause`: the message of an unexpected error, for the main thread's log; never sent on. */
  | { type: 'failed'; jobId: number; code: string; message: string; cause?: string }
  | { type: 'log'; level: LogLevel; message: string };
