import { Module } from '@nestjs/common';
import { UsageModule } from '../usage/usage.module';
import { resultCacheProvider, sharedResultStoreProvider } from './cache/result-cache.provider';
import { ImageInputModule } from './image-input';
import { OCR_METRIC_PROVIDERS, OcrMetrics } from './metrics/ocr-metrics';
import { WorkerInFlightMetrics } from './metrics/worker-in-flight.metrics';
import { OcrBatchService } from './ocr-batch.service';
import { OcrController } from './ocr.controller';
import { OcrService } from './ocr.service';
import { OcrWorkerClient } from '../ocr-worker-client/ocr-worker.client';

/**
 * `POST /api/v1/ocr` and `/batch`: image intake, quota, the per-lineage results cache and the
 * worker calls. The link to the worker comes from the global OcrWorkerClientModule.
 */
@Module({
  imports: [ImageInputModule.forRoot(), UsageModule],
  controllers: [OcrController],
  providers: [
    ...OCR_METRIC_PROVIDERS,
    OcrMetrics,
    sharedResultStoreProvider,
    resultCacheProvider,
    OcrWorkerClient,
    WorkerInFlightMetrics,
    OcrService,
    OcrBatchService,
  ],
})
export class OcrModule {}
