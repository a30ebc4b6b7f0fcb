import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { framedSocket } from '@app/contracts';
import { AppModule } from './app.module';
import { loadWorkerConfig, WorkerConfigError, type WorkerConfig } from './config/worker-config';
import { WorkerLogger } from './logging/worker-logger';
import { describeError } from './ocr/describe-error';

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
    logger: new WorkerLogger(config.logLevels),
    // Fail start-up with one clear line instead of Nest's abort.
    abortOnError: false,
  });
  // Exit with status 0 once drained, rather than re-raising the signal: supervisors read it as clean.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen();
  logger.log(`listening on ${config.host}:${config.port} (TCP)`);
}

function main(): void {
  // Lane threads created from here on get gc(): they free a large image's memory right after it.
  setFlagsFromString('--expose-gc');
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    Logger.overrideLogger(new WorkerLogger(['fatal', 'error']));
    const reason = error instanceof WorkerConfigError ? error.message : describeError(error);
    logger.error(`invalid configuration: ${reason}`);
    process.exit(1);
  }
  bootstrap(config).catch((error: unknown) => {
    logger.error(`failed to start: ${describeError(error)}`);
    // Lane threads may already be running; they must not keep a failed worker alive.
    process.exit(1);
  });
}

main();
