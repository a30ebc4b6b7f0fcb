import { DynamicModule, Module } from '@nestjs/common';
import type { WorkerConfig } from './config/worker-config';
import { WORKER_CONFIG } from './config/worker-config.constants';
import { OcrModule } from './ocr/ocr.module';

/** The worker's root module; main.ts validates the config first and hands it in. */
@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [OcrModule],
      providers: [{ provide: WORKER_CONFIG, useValue: config }],
      exports: [WORKER_CONFIG],
    };
  }
}
