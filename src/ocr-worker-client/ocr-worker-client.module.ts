import { Global, Module } from '@nestjs/common';
import { framedSocket } from '@app/contracts';
import { AppConfig } from '../config';
import { WORKER_CHANNEL_FACTORY, WorkerPool, type WorkerChannelFactory } from './worker-pool';
import { WorkerTcpClient } from './worker-tcp.client';

/** The JSON beside the image's bytes in a frame, and the largest answer (a dense page's lines). */
const FRAME_ROOM_BYTES = 8 * 1024 * 1024;

/**
 * The gateway's links to the OCR workers: their connections and state (WorkerPool of WorkerLinks),
 * used by /health and by OcrWorkerClient (provided by the OCR feature beside its metrics).
 */
@Global()
@Module({
  providers: [
    {
      provide: WORKER_CHANNEL_FACTORY,
      inject: [AppConfig],
      useFactory:
        (config: AppConfig): WorkerChannelFactory =>
        ({ host, port }) =>
          new WorkerTcpClient({
            host,
            port,
            connectTimeoutMs: config.worker.connectTimeoutMs,
            socketClass: framedSocket({
              maxFrameBytes: FRAME_ROOM_BYTES,
              // Admission keeps what is queued below WORKER_MAX_INFLIGHT_BYTES: this trips on a stuck peer only.
              maxSendBufferBytes: config.worker.maxInflightBytes + FRAME_ROOM_BYTES,
            }),
          }),
    },
    WorkerPool,
  ],
  exports: [WorkerPool],
})
export class OcrWorkerClientModule {}
