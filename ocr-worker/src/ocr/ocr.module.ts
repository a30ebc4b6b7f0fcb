import { Logger, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { WorkerConfig } from '../config/worker-config';
import { WorkerExceptionsFilter } from '../common/filters/worker-exceptions.filter';
import { WORKER_CONFIG } from '../config/worker-config.constants';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { WorkerMetricsServer } from '../metrics/worker-metrics.server';
import { OcrController } from './ocr.controller';
import { OcrScheduler } from './ocr-scheduler';
import { startOcrScheduler } from './ocr-scheduler.factory';
import { OcrService } from './ocr.service';

@Module({
  controllers: [OcrController],
  providers: [
    OcrService,
    WorkerMetrics,
    WorkerMetricsServer,
    // Global whatever module declares it: every handler's failure leaves through this filter.
    { provide: APP_FILTER, useClass: WorkerExceptionsFilter },
    {
      provide: OcrScheduler,
      inject: [WORKER_CONFIG],
      useFactory: (config: WorkerConfig): Promise<OcrScheduler> =>
        startOcrScheduler(config, new Logger(OcrScheduler.name)),
    },
  ],
})
export class OcrModule {}
