import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { NestLogger } from './nest-logger';
import { createProcessLogger, SERVICES } from './process-logger';

function capture(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe(createProcessLogger.name, () => {
  it.each(SERVICES)('should write JSON lines with level, time, service and msg for the %s', (service) => {
    const out = capture();
    createProcessLogger({ service, level: 'info', stream: out.stream }).info(
      { requestId: 'r-1', bytes: 12 },
      'recognized',
    );
    const [line] = out.lines();
    expect(Object.keys(line).slice(0, 3)).toEqual(['level', 'time', 'service']);
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      service,
      requestId: 'r-1',
      bytes: 12,
      msg: 'recognized',
    });
  });

  it('should keep to its level', () => {
    const out = capture();
    const logger = createProcessLogger({ service: 'cli', level: 'warn', stream: out.stream });
    logger.info('not shown');
    logger.warn('shown');
    expect(out.lines().map((line) => line.msg)).toEqual(['shown']);
  });

  it('should never write a credential, a header or an error message or stack', () => {
    const out = capture();
    const logger = createProcessLogger({ service: 'supervisor', level: 'info', stream: out.stream });
    logger.info(
      { key: 'ocr_abc_key-secret', apiKey: 'api-secret', password: 'pw-secret', secret: 's-secret' },
      'created',
    );
    logger.info(
      { headers: { 'x-api-key': 'header-secret', authorization: 'Bearer b-secret', cookie: 'c-secret' } },
      'request',
    );
    logger.error({ err: new Error('failed for /srv/private with message-secret') }, 'failed');
    expect(out.text()).not.toMatch(/-secret|\/srv/);
    expect(out.lines()[2]).toMatchObject({ err: { type: 'Error' } });
  });

  it('should write an error the way the process asks', () => {
    const out = capture();
    createProcessLogger({
      service: 'worker',
      level: 'info',
      stream: out.stream,
      errorSerializer: (err) => ({ said: (err as Error).message.length }),
    }).error({ err: new Error('four') }, 'failed');
    expect(out.lines()[0].err).toEqual({ said: 4 });
  });
});

describe(NestLogger.name, () => {
  afterEach(() => {
    Logger.overrideLogger(false);
  });

  it("should turn a Nest Logger's fields and message into one structured line with its context", () => {
    const out = capture();
    Logger.overrideLogger(
      NestLogger.over(createProcessLogger({ service: 'worker', level: 'info', stream: out.stream })),
    );
    new Logger('OcrService').log({ requestId: 'r-2', totalMs: 5 }, 'recognized');
    new Logger('OcrService').warn('plain words');
    expect(out.lines()).toEqual([
      expect.objectContaining({
        level: 30,
        service: 'worker',
        context: 'OcrService',
        requestId: 'r-2',
        totalMs: 5,
        msg: 'recognized',
      }),
      expect.objectContaining({ level: 40, context: 'OcrService', msg: 'plain words' }),
    ]);
  });

  it("should keep Nest's start-up lines for the debug level", () => {
    const out = capture();
    const pino = createProcessLogger({ service: 'gateway', level: 'info', stream: out.stream });
    const nest = NestLogger.over(pino);
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('Mapped {/health, GET} route', 'RouterExplorer');
    nest.log('listening', 'Gateway');
    expect(out.lines().map((line) => line.msg)).toEqual(['listening']);
    pino.level = 'debug';
    nest.log('Mapped {/health, GET} route', 'RouterExplorer');
    expect(out.lines()).toHaveLength(2);
    expect(out.lines()[1]).toMatchObject({ level: 20, context: 'RouterExplorer' });
  });

  it('should write to each root logger it was made over', () => {
    const first = capture();
    const second = capture();
    NestLogger.over(createProcessLogger({ service: 'gateway', level: 'info', stream: first.stream })).log(
      'one',
      'A',
    );
    NestLogger.over(createProcessLogger({ service: 'worker', level: 'info', stream: second.stream })).log(
      'two',
      'B',
    );
    expect(first.lines().map((line) => line.msg)).toEqual(['one']);
    expect(second.lines().map((line) => line.msg)).toEqual(['two']);
  });
});
