import { Global, Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { OCR_WORKER_CLIENT } from '@app/contracts';
import { AppConfig } from '../config';

/**
 * The TCP ClientProxy to the OCR worker, injected with `@Inject(OCR_WORKER_CLIENT)`.
 * It connects lazily on the first `send`, so the gateway starts (and /health answers) while the
 * worker is still loading or down. Every `send` must carry its own `timeout()`.
 */
@Global()
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: OCR_WORKER_CLIENT,
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          transport: Transport.TCP,
          options: {
            host: config.worker.host,
            port: config.worker.port,
            // A base64 body is 4/3 of the upload plus JSON framing: stay above the body limit.
            maxBufferSize: Math.ceil(config.http.maxBodyBytes * 1.5) + 1024 * 1024,
          },
        }),
      },
    ]),
  ],
  exports: [ClientsModule],
})
export class WorkerClientModule {}
