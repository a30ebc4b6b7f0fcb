import type { WorkerConfig } from '../config/worker-config';
import type { DeviceKind } from './inference-lane';

/*
 * Chosen by measurement (bench:ocr, 6 SROIE receipts, 2 cores, warm), with onnxruntime's default
 * spinning thread pools:
 *   lanes x threads   sequential p50   4 clients        vs sequential
 *   2 x 1             1.03-1.21 s      1.48-1.65 img/s  x1.66-1.81
 *   1 x 2             0.74-0.77 s      1.42-1.55 img/s  x1.02-1.08
 *   2 x 2             0.83-0.89 s      1.08-1.11 img/s  x0.90-0.94  (threads spin against each other)
 * One lane per core with the cores shared out among them serves the most images per second and
 * keeps a receipt well under 1.5 s; more threads than cores only spin.
 */

type LanePlanConfig = Pick<WorkerConfig, 'lanes' | 'intraOpThreads' | 'cores' | 'device'>;

/**
 * Lanes to run once the device is known: one per core on the CPU; one on a GPU, where a second
 * session or cross-request batching was never measured (no GPU here) and so stays off.
 */
export function laneCount(config: Pick<WorkerConfig, 'lanes' | 'cores'>, device: DeviceKind): number {
  if (config.lanes !== 'auto') {
    return config.lanes;
  }
  return device === 'cuda' ? 1 : Math.max(1, config.cores);
}

/**
 * Intra-op threads per lane, fixed when a lane's sessions are created, before the device is
 * known: the cores shared out among the lanes expected, at least one each.
 */
export function intraOpThreads(config: LanePlanConfig): number {
  if (config.intraOpThreads !== 'auto') {
    return config.intraOpThreads;
  }
  const expectedLanes = laneCount(config, config.device === 'cuda' ? 'cuda' : 'cpu');
  return Math.max(1, Math.floor(config.cores / expectedLanes));
}
