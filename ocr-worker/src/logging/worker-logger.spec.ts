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
});
