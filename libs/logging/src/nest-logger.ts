import type { Logger as Pino } from 'pino';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';

/**
 * Nest's start-up chatter (one line per module and per route: some fifty at `info`): kept for
 * `LOG_LEVEL=debug`, so that a start shows what an operator needs (listening, ready, the first
 * admin key) and nothing scrolls it away.
 */
const FRAMEWORK_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);

/**
 * nestjs-pino's PinoLogger keeps the first root logger of the process in a module variable; this
 * one writes to its own (the request's child logger, with its `requestId`, inside a request).
 */
class RootPinoLogger extends PinoLogger {
  constructor(private readonly root: Pino) {
    super({ pinoHttp: { logger: root } });
  }

  override get logger(): Pino {
    return storage.getStore()?.logger ?? this.root;
  }
}

/**
 * Nest's LoggerService over the process's pino logger (nestjs-pino), for the gateway and the
 * worker alike. `logger.log({ requestId, bytes }, 'recognized')` from a Nest `Logger` with a
 * context writes `{"msg":"recognized","requestId":…,"bytes":…,"context":…}`.
 */
export class NestLogger extends PinoNestLogger {
  static over(logger: Pino): NestLogger {
    return new NestLogger(new RootPinoLogger(logger), {});
  }

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) {
      super.debug(message, ...optionalParams);
      return;
    }
    super.log(message, ...optionalParams);
  }
}
