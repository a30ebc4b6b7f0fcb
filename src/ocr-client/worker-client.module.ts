import { Global, Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { OCR_WORKER_CLIENT } from '@app/contracts';
import { AppConfig } from '../config';
import { WorkerTcpClient, WorkerTcpClientOptions } from './worker-tcp.client';

/**
 * The TCP ClientProxy to the OCR worker, injected with `@Inject(OCR_WORKER_CLIENT)`.
 * It connects lazily on the first `send`, so the gateway starts (and /health answers) while the
 * worker is still loading or down. Every `send` must carry its own `timeout()`; the connection
 * attempt itself is bounded by WORKER_CONNECT_TIMEOUT_MS (see WorkerTcpClient).
 */
@Global()
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: OCR_WORKER_CLIENT,
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          customClass: WorkerTcpClient,
          options: {
            host: config.worker.host,
            port: config.worker.port,
            // A base64 body is 4/3 of the upload plus JSON framing: stay above the body limit.
            maxBufferSize: Math.ceil(config.http.maxBodyBytes * 1.5) + 1024 * 1024,
            connectTimeoutMs: config.worker.connectTimeoutMs,
          } satisfies WorkerTcpClientOptions,
        }),
      },
    ]),
  ],
  exports: [ClientsModule],
})
export class WorkerClientModule {}
