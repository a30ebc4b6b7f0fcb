import { WorkerLogger } from './worker-logger';

describe(WorkerLogger.name, () => {
  let written: string[];

  beforeEach(() => {
    written = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      written.push(chunk.toString());
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });

  afterEach(() => jest.restoreAllMocks());

  it('should write one JSON line per event', () => {
    new WorkerLogger(['log'], true).log('recognized request=req_1 lines=3', 'OcrService');
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0])).toMatchObject({
      level: 'log',
      message: 'recognized request=req_1 lines=3',
      context: 'OcrService',
    });
  });

  it('should log an error by its path-free message, without a stack', () => {
    const error = new Error('Load model from /srv/models/det.onnx failed');
    new WorkerLogger(['error'], true).error(error, error.stack, 'ExceptionHandler');
    const output = written.join('');
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0])).toMatchObject({ message: 'Load model from <path> failed' });
    expect(output).not.toContain('/srv');
    expect(output).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('should keep to the configured levels', () => {
    const logger = new WorkerLogger(['warn'], false);
    logger.log('not shown');
    logger.warn('shown');
    expect(written.join('')).not.toContain('not shown');
    expect(written.join('')).toContain('shown');
  });
});
