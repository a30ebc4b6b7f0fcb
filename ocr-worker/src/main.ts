import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { describeNatsServers } from '@app/config';
import { framedSocket, NATS_WORKER_QUEUE } from '@app/contracts';
import { NestLogger } from '@app/logging';
import { AppModule } from './app.module';
import { loadWorkerConfig, WorkerConfigError, type WorkerConfig } from './config/worker-config';
import { createWorkerLogger } from './logging/worker-logger';
import { workerInstance } from './ocr/worker-instance';
import { WorkerNatsServer } from './transport/worker-nats.server';

const logger = new Logger('OcrWorker');
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Where the jobs come from: the worker's own TCP port, or the queue group on NATS. */
function transportOptions(config: WorkerConfig): MicroserviceOptions {
  if (config.transport.kind === 'nats') {
    const server = new WorkerNatsServer(config.transport.servers, `ocr-worker ${workerInstance()}`);
    // Registered before Nest's own handlers, so it runs first: no new job reaches a draining worker.
    SHUTDOWN_SIGNALS.forEach((signal) => process.once(signal, () => server.leaveQueueGroup()));
    return { strategy: server };
  }
  return {
    transport: Transport.TCP,
    options: {
      host: config.host,
      port: config.port,
      // Answers are small; a gateway that stops reading them is dropped rather than buffered for.
      socketClass: framedSocket({
        maxFrameBytes: config.maxFrameBytes,
        maxSendBufferBytes: 64 * 1024 * 1024,
      }),
    },
  };
}

async function bootstrap(config: WorkerConfig): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.forRoot(config), {
    ...transportOptions(config),
    logger: NestLogger.over(createWorkerLogger(config.logLevel)),
    // Fail start-up with one clear line instead of Nest's abort.
    abortOnError: false,
  });
  // Exit with status 0 once drained, rather than re-raising the signal: supervisors read it as clean.
  app.enableShutdownHooks([...SHUTDOWN_SIGNALS], { useProcessExit: true });
  await app.listen();
  if (config.transport.kind === 'nats') {
    logger.log(
      { nats: describeNatsServers(config.transport.servers), queue: NATS_WORKER_QUEUE, transport: 'nats' },
      'listening',
    );
  } else {
    logger.log({ host: config.host, port: config.port, transport: 'tcp' }, 'listening');
  }
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
