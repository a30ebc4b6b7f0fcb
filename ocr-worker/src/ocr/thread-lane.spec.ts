import type { LaneWorkerData } from './lane-protocol';
import { ThreadLane, type ThreadLaneOptions } from './thread-lane';
import { WorkerError } from '../common/errors/worker-error';

/** Real worker threads running small scripts that speak the lane protocol. */
const LANE_PRELUDE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const reply = (message) => parentPort.postMessage(message);
`;

const ECHO_LANE = `${LANE_PRELUDE}
  reply({ type: 'log', level: 'log', message: 'lane ' + workerData.laneId + ' loaded' });
  reply({ type: 'ready', device: 'cpu', model: 'echo-v1' });
  parentPort.on('message', (message) => {
    if (message.type === 'close') { parentPort.close(); return; }
    const bytes = new Uint8Array(message.image);
    if (bytes[0] === 0) {
      reply({ type: 'failed', jobId: message.jobId, code: 'invalid_image', message: 'The image could not be decoded.' });
      return;
    }
    if (bytes[0] === 1) {
      reply({ type: 'failed', jobId: message.jobId, code: 'internal_error', message: 'Recognition failed.', cause: 'ENOENT: /opt/models/rec.onnx' });
      return;
    }
    if (bytes[0] === 2) {
      throw new Error('native failure');
    }
    reply({ type: 'result', jobId: message.jobId, output: {
      text: message.requestId + ':' + message.mode + ':' + bytes.length, lines: [], width: 1, height: 1,
      stageMs: { decode: 1 }, inferenceMs: 2 } });
  });
`;

const workerData: LaneWorkerData = {
  laneId: 7,
  engine: {
    device: 'cpu',
    intraOpThreads: 1,
    detLimitSideLen: 960,
    useAngleCls: true,
    recBatchSize: 1,
    maxPixels: 1_000_000,
  },
};

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

describe(ThreadLane.name, () => {
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const lanes: ThreadLane[] = [];

  function start(script: string, overrides: Partial<ThreadLaneOptions> = {}): Promise<ThreadLane> {
    return ThreadLane.start({ id: 7, script, evalScript: true, workerData, logger, ...overrides }).then(
      (lane) => {
        lanes.push(lane);
        return lane;
      },
    );
  }

  afterEach(async () => {
    await Promise.all(lanes.splice(0).map((lane) => lane.close()));
    jest.clearAllMocks();
  });

  it('should start, report its engine and forward its log lines', async () => {
    const lane = await start(ECHO_LANE);
    expect(lane).toMatchObject({ id: 7, device: 'cpu', model: 'echo-v1', alive: true });
    expect(logger.log).toHaveBeenCalledWith({ lane: 7 }, 'lane 7 loaded');
  });

  it('should transfer the image to the thread and resolve with its output', async () => {
    const lane = await start(ECHO_LANE);
    const image = bytes(9, 9, 9);
    const output = await lane.run({ requestId: 'req_1', image, mode: 'lines' });
    expect(output).toMatchObject({ text: 'req_1:lines:3', inferenceMs: 2 });
    expect(image.byteLength).toBe(0);
  });

  it('should reject with the code of a failure the engine explains', async () => {
    const lane = await start(ECHO_LANE);
    const failure = lane.run({ requestId: 'r', image: bytes(0), mode: 'text' });
    await expect(failure).rejects.toEqual(
      new WorkerError('invalid_image', 'The image could not be decoded.'),
    );
    await expect(lane.run({ requestId: 'r', image: bytes(5), mode: 'text' })).resolves.toBeDefined();
  });

  it('should hide an internal failure behind a generic message, keeping what the thread said as its cause', async () => {
    const lane = await start(ECHO_LANE);
    const failure = await lane.run({ requestId: 'r', image: bytes(1), mode: 'text' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerError);
    expect((failure as WorkerError).toPayload()).toEqual({
      code: 'internal_error',
      message: 'Recognition failed unexpectedly.',
    });
    expect((failure as WorkerError).cause).toEqual(new Error('ENOENT: /opt/models/rec.onnx'));
  });

  it('should fail the running job with internal_error and report a crash when the thread dies', async () => {
    const lane = await start(ECHO_LANE);
    const crash = lane.run({ requestId: 'r', image: bytes(2), mode: 'text' });
    await expect(crash).rejects.toMatchObject({ code: 'internal_error' });
    await expect(lane.exited).resolves.toEqual({ crashed: true });
    expect(lane.alive).toBe(false);
    expect(logger.error).toHaveBeenCalledWith(
      { lane: 7, err: expect.objectContaining({ message: 'native failure' }) },
      'inference lane crashed',
    );
    await expect(lane.run({ requestId: 'r', image: bytes(5), mode: 'text' })).rejects.toMatchObject({
      code: 'internal_error',
    });
  });

  it('should stop a thread stuck mid-run at once on abort, as a crash', async () => {
    const lane = await start(`${LANE_PRELUDE} reply({ type: 'ready', device: 'cpu', model: 'm' });
      parentPort.on('message', () => { for (;;) {} });`);
    const stuck = lane.run({ requestId: 'r', image: bytes(5), mode: 'text' });
    await lane.abort();
    await expect(stuck).rejects.toMatchObject({ code: 'internal_error' });
    await expect(lane.exited).resolves.toEqual({ crashed: true });
  });

  it('should reject start-up with the reason the engine gave', async () => {
    const script = `${LANE_PRELUDE} reply({ type: 'startFailed', message: 'OCR_DEVICE=cuda but CUDA is not available' });`;
    await expect(start(script)).rejects.toThrow('OCR_DEVICE=cuda but CUDA is not available');
  });

  it('should reject start-up when the thread exits before it is ready', async () => {
    await expect(start(`process.exit(3);`)).rejects.toThrow('exited with code 3');
  });

  it('should give up on a thread that never becomes ready', async () => {
    await expect(start(`setInterval(() => undefined, 1000);`, { startTimeoutMs: 200 })).rejects.toThrow(
      'did not load its models within 200 ms',
    );
  });

  it('should close cleanly, and terminate a thread that ignores the request', async () => {
    const polite = await start(ECHO_LANE);
    await polite.close();
    await expect(polite.exited).resolves.toEqual({ crashed: false });

    const stubborn = await start(
      `${LANE_PRELUDE} reply({ type: 'ready', device: 'cpu', model: 'm' });
      parentPort.on('message', () => undefined);`,
      { closeTimeoutMs: 100 },
    );
    await stubborn.close();
    await expect(stubborn.exited).resolves.toEqual({ crashed: false });
  });
});
