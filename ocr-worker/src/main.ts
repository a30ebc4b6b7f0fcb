import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { framedSocket } from '@app/contracts';
import { NestLogger } from '@app/logging';
import { AppModule } from './app.module';
import { loadWorkerConfig, WorkerConfigError, type WorkerConfig } from './config/worker-config';
import { createWorkerLogger } from './logging/worker-logger';

const logger = new Logger('OcrWorker');

async function bootstrap(config: WorkerConfig): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.forRoot(config), {
    transport: Transport.TCP,
    options: {
      host: config.host,
      port: config.port,
      // Answers are small; a gateway that stops reading them is dropped rather than buffered for.
      socketClass: framedSocket({ maxFrameBytes: config.maxFrameBytes, maxSendBufferBytes: 64 * 1024 * 1024 }),
    },
    logger: NestLogger.over(createWorkerLogger(config.logLevel)),
    // Fail start-up with one clear line instead of Nest's abort.
    abortOnError: false,
  });
  // Exit with status 0 once drained, rather than re-raising the signal: supervisors read it as clean.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen();
  logger.log({ host: config.host, port: config.port, transport: 'tcp' }, 'listening');
}

function main(): void {
  // Lane threads created from here on get gc(): they free a large image's memory right after it.
  setFlagsFromString('--expose-gc');
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    // Written before the exit: this logger does not buffer.
    Logger.overrideLogger(NestLogger.over(createWorkerLogger('error', { sync: true })));
    if (error instanceof WorkerConfigError) {
      logger.fatal({ reason: error.message }, 'invalid configuration');
    } else {
      logger.fatal({ err: error }, 'invalid configuration');
    }
    process.exit(1);
  }
  bootstrap(config).catch((error: unknown) => {
    logger.fatal({ err: error }, 'failed to start');
    // Lane threads may already be running; they must not keep a failed worker alive.
    process.exit(1);
  });
}

main();
