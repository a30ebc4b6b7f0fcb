import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { describeError } from '../ocr/describe-error';

/**
 * Nest's console logger with the worker's rules: one line per event (JSON lines when the output
 * is not a terminal), and an Error shown by its path-free message only, never a stack.
 */
export class WorkerLogger extends ConsoleLogger {
  constructor(logLevels: LogLevel[], json = !process.stdout.isTTY) {
    super({ logLevels, json, colors: !json });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
  ): void {
    const safe = messages.map((message) => (message instanceof Error ? describeError(message) : message));
    super.printMessages(safe, context, logLevel, writeStreamType, undefined);
  }

  protected override printStackTrace(): void {
    // Stacks name files and internals: they stay out of the worker's logs.
  }
}
