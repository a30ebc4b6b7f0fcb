import type { WorkerConfig } from '../config/worker-config';
import type { DeviceKind } from './inference-lane';

/**
 * Lanes run once the device is known. On CPU one lane per core: measured on 2 cores, two lanes
 * serve 20-40% more images per second than one lane with both cores. On a GPU one lane: a second
 * session on the same device was never measured to pay for itself (see docs/BENCHMARKS.md).
 */
export function laneCount(config: Pick<WorkerConfig, 'lanes' | 'cores'>, device: DeviceKind): number {
  if (config.lanes !== 'auto') {
    return config.lanes;
  }
  return device === 'cuda' ? 1 : Math.max(1, config.cores);
}

/**
 * Intra-op threads per lane, fixed when a lane's sessions are created (before the device is
 * known). Every lane may use every core: alone, one image gets the latency of all cores; with all
 * lanes busy the threads yield instead of spinning, so the throughput of one thread per lane is
 * mostly kept.
 */
export function intraOpThreads(config: Pick<WorkerConfig, 'intraOpThreads' | 'cores'>): number {
  if (config.intraOpThreads !== 'auto') {
    return config.intraOpThreads;
  }
  return Math.max(1, config.cores);
}
