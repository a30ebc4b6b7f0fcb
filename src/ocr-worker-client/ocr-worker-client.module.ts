import { hostname } from 'node:os';
import { Global, Module } from '@nestjs/common';
import { describeNatsServers } from '@app/config';
import { framedSocket, NATS_WORKER_QUEUE } from '@app/contracts';
import { AppConfig } from '../config';
import { NatsWorkerGroup, WorkerNatsClient } from './worker-nats.client';
import { WORKER_TARGETS, WorkerPool, type WorkerTarget } from './worker-pool';
import { WorkerTcpClient } from './worker-tcp.client';

/** The JSON beside the image's bytes in a frame, and the largest answer (a dense page's lines). */
const FRAME_ROOM_BYTES = 8 * 1024 * 1024;

/**
 * What the gateway reaches its workers over (WORKER_TRANSPORT), decided here only: each worker of
 * WORKER_URLS over TCP, or the workers' queue group over NATS. Everything after it is the same
 * for both: WorkerPool of WorkerLinks (their connections, health probes and state), used by
 * /health and by OcrWorkerClient (provided by the OCR feature beside its metrics).
 */
function workerTargets(config: AppConfig): WorkerTarget[] {
  const { worker } = config;
  if (worker.transport === 'nats') {
    const group = new NatsWorkerGroup(worker.healthTimeoutMs);
    return [
      {
        endpoint: `${describeNatsServers(worker.natsServers)} (queue group ${NATS_WORKER_QUEUE})`,
        open: () =>
          new WorkerNatsClient({
            group,
            servers: worker.natsServers,
            name: `ocr-gateway ${hostname()}:${process.pid}`,
            connectTimeoutMs: worker.connectTimeoutMs,
          }),
      },
    ];
  }
  return worker.endpoints.map(({ host, port }) => ({
    endpoint: `${host}:${port}`,
    open: () =>
      new WorkerTcpClient({
        host,
        port,
        connectTimeoutMs: worker.connectTimeoutMs,
        socketClass: framedSocket({
          maxFrameBytes: FRAME_ROOM_BYTES,
          // Admission keeps what is queued below WORKER_MAX_INFLIGHT_BYTES: this trips on a stuck peer only.
          maxSendBufferBytes: worker.maxInflightBytes + FRAME_ROOM_BYTES,
        }),
      }),
  }));
}

@Global()
@Module({
  providers: [{ provide: WORKER_TARGETS, inject: [AppConfig], useFactory: workerTargets }, WorkerPool],
  exports: [WorkerPool],
})
export class OcrWorkerClientModule {}
