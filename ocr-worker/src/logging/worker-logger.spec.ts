import { Writable } from 'node:stream';
import { createWorkerLogger } from './worker-logger';

describe(createWorkerLogger.name, () => {
  let written: string[];
  let stream: Writable;

  beforeEach(() => {
    written = [];
    stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
  });

  it('should write one JSON line per event, as the worker', () => {
    createWorkerLogger('info', { stream }).info({ requestId: 'req_1', lines: 3 }, 'recognized');
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0])).toMatchObject({
      level: 30,
      service: 'worker',
      requestId: 'req_1',
      lines: 3,
      msg: 'recognized',
    });
  });

  it('should log an error by its path-free message, without a stack', () => {
    const error = new Error('Load model from /srv/models/det.onnx failed');
    createWorkerLogger('error', { stream }).error({ err: error }, 'failed to start');
    const output = written.join('');
    expect(JSON.parse(written[0])).toMatchObject({
      err: { type: 'Error', message: 'Load model from <path> failed' },
    });
    expect(output).not.toContain('/srv');
    expect(output).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('should cut every file path and line break out of a message', () => {
    const error = new Error("Load model from /srv/models/det.onnx failed:\n  at 'C:\\models\\x.onnx' (code 3)");
    createWorkerLogger('error', { stream }).error({ err: error }, 'failed');
    expect(JSON.parse(written[0])).toMatchObject({
      err: { message: "Load model from <path> failed: at '<path>' (code 3)" },
    });
  });

  it('should write an error with its code and its cause, and a non-error without inventing details', () => {
    const cause = Object.assign(new Error('ENOENT: open /srv/models/rec.onnx'), { code: 'ENOENT' });
    const logger = createWorkerLogger('error', { stream });
    logger.error({ err: new Error('Recognition failed unexpectedly.', { cause }) }, 'failed');
    logger.error({ err: 'boom' }, 'failed');
    expect(JSON.parse(written[0]).err).toEqual({
      type: 'Error',
      message: 'Recognition failed unexpectedly.',
      cause: { type: 'Error', code: 'ENOENT', message: 'ENOENT: open <path>' },
    });
    expect(JSON.parse(written[1]).err).toEqual({ type: 'string', message: 'unknown error' });
  });
});
