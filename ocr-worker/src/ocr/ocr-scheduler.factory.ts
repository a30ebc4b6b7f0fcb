import { join } from 'node:path';
import type { Logger } from '@nestjs/common';
import type { OcrDevice, WorkerConfig } from '../config/worker-config';
import { laneCount, intraOpThreads } from './lane-plan';
import { OcrScheduler } from './ocr-scheduler';
import { ThreadLane } from './thread-lane';

/** The compiled thread entry beside this file (the worker always runs compiled). */
const LANE_SCRIPT = join(__dirname, 'lane.worker.js');

/** Builds the scheduler over worker-thread lanes and waits for its lanes to load their models. */
export async function startOcrScheduler(config: WorkerConfig, logger: Logger): Promise<OcrScheduler> {
  const threads = intraOpThreads(config);
  // Once a lane has found the device (CUDA, or the CPU fallback of `auto`), later lanes and
  // replacements go straight to it instead of probing and logging the fallback again.
  let device: OcrDevice = config.device;
  const scheduler = new OcrScheduler({
    maxQueue: config.maxQueue,
    maxInflightPixels: config.maxInflightPixels,
    laneCount: (found) => laneCount(config, found),
    logger,
    createLane: async (id) => {
      const lane = await ThreadLane.start({
        id,
        script: LANE_SCRIPT,
        logger,
        workerData: {
          laneId: id,
          engine: {
            ...config.models,
            device,
            intraOpThreads: threads,
            optimizedModelDir: config.optimizedModelDir,
            detLimitSideLen: config.detLimitSideLen,
            useAngleCls: config.useAngleCls,
            recBatchSize: config.recBatchSize,
            maxPixels: config.maxImagePixels,
          },
          document: { dpi: config.pdf.renderDpi },
        },
      });
      device = lane.device;
      return lane;
    },
  });
  await scheduler.start();
  const health = scheduler.health();
  logger.log(
    {
      lanes: health.lanes,
      device: health.device,
      intraOpThreads: threads,
      model: health.model,
      maxQueue: health.maxQueue,
    },
    'inference lanes ready',
  );
  return scheduler;
}
