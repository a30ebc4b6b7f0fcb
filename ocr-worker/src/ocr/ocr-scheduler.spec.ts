import type { DeviceKind, InferenceLane, LaneOutput, LaneTask } from './inference-lane';
import { OcrScheduler, type SchedulerOptions } from './ocr-scheduler';
import { WorkerError, WorkerErrors } from '../common/errors/worker-error';
import { workerErrorCodeOf } from '../common/testing/worker-error-code';

interface PendingRun {
  task: LaneTask;
  resolve(output: LaneOutput): void;
  reject(error: WorkerError): void;
}

/** A lane whose runs finish only when the test says so. */
class FakeLane implements InferenceLane {
  alive = true;
  aborted = false;
  readonly runs: PendingRun[] = [];
  readonly exited: Promise<{ crashed: boolean }>;
  private resolveExited!: (outcome: { crashed: boolean }) => void;

  constructor(
    readonly id: number,
    readonly device: DeviceKind = 'cpu',
    readonly model = 'fake-model',
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  run(task: LaneTask): Promise<LaneOutput> {
    return new Promise((resolve, reject) => this.runs.push({ task, resolve, reject }));
  }

  finish(text = 'done'): void {
    const run = this.runs.shift();
    run?.resolve({ text, lines: [], width: 1, height: 1, warnings: [], stageMs: {}, inferenceMs: 5 });
  }

  crash(): void {
    this.alive = false;
    this.runs.shift()?.reject(WorkerErrors.laneCrashed());
    this.resolveExited({ crashed: true });
  }

  close(): Promise<void> {
    this.alive = false;
    this.resolveExited({ crashed: false });
    return Promise.resolve();
  }

  abort(): Promise<void> {
    this.aborted = true;
    this.crash();
    return Promise.resolve();
  }
}

const quietLogger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };

function task(requestId: string): LaneTask {
  return { requestId, image: new ArrayBuffer(4), mode: 'text' };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) {
    await Promise.resolve();
  }
}

describe(OcrScheduler.name, () => {
  let lanes: FakeLane[];
  let createLane: jest.Mock<Promise<InferenceLane>, [number]>;

  function scheduler(overrides: Partial<SchedulerOptions> = {}): OcrScheduler {
    return new OcrScheduler({
      maxQueue: 2,
      createLane,
      laneCount: () => 2,
      logger: quietLogger,
      respawnDelaysMs: [0, 1_000],
      overrunGraceMs: 2_000,
      ...overrides,
    });
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    lanes = [];
    createLane = jest.fn((id: number) => {
      const lane = new FakeLane(id);
      lanes.push(lane);
      return Promise.resolve(lane);
    });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('should start as many lanes as laneCount gives for the first lane device', async () => {
    const laneCount = jest.fn(() => 3);
    const s = scheduler({ laneCount });
    await s.start();
    expect(laneCount).toHaveBeenCalledWith('cpu');
    expect(createLane).toHaveBeenCalledTimes(3);
    expect(s.health()).toMatchObject({
      lanes: 3,
      device: 'cpu',
      model: 'fake-model',
      queueDepth: 0,
      inFlight: 0,
    });
  });

  it('should fail start-up when the first lane cannot start', async () => {
    createLane.mockRejectedValueOnce(new Error('model missing'));
    await expect(scheduler().start()).rejects.toThrow('model missing');
  });

  it('should run a job on an idle lane at once', async () => {
    const s = scheduler();
    await s.start();
    const result = s.submit(task('a'), Date.now() + 10_000);
    expect(lanes[0].runs).toHaveLength(1);
    expect(s.health().inFlight).toBe(1);
    lanes[0].finish('hello');
    await expect(result).resolves.toMatchObject({
      queueMs: 0,
      device: 'cpu',
      model: 'fake-model',
      output: { text: 'hello' },
    });
    await flush();
    expect(s.health().inFlight).toBe(0);
  });

  it('should queue while every lane is busy and run queued jobs in arrival order', async () => {
    const s = scheduler();
    await s.start();
    const deadline = Date.now() + 10_000;
    const first = s.submit(task('a'), deadline);
    void s.submit(task('b'), deadline);
    const third = s.submit(task('c'), deadline);
    void s.submit(task('d'), deadline);
    expect(s.health()).toMatchObject({ inFlight: 2, queueDepth: 2 });

    jest.advanceTimersByTime(250);
    lanes[0].finish();
    await first;
    await flush();
    expect(lanes[0].runs.map((run) => run.task.requestId)).toEqual(['c']);
    lanes[0].finish();
    await expect(third).resolves.toMatchObject({ queueMs: 250 });
    await flush();
    expect(lanes[0].runs.map((run) => run.task.requestId)).toEqual(['d']);
  });

  it('should refuse with worker_overloaded at once when the queue is full', async () => {
    const s = scheduler({ maxQueue: 1 });
    await s.start();
    const deadline = Date.now() + 10_000;
    void s.submit(task('a'), deadline);
    void s.submit(task('b'), deadline);
    void s.submit(task('c'), deadline);
    await expect(workerErrorCodeOf(s.submit(task('d'), deadline))).resolves.toBe('worker_overloaded');
    expect(s.health().queueDepth).toBe(1);
  });

  it('should refuse a job whose deadline has already passed', async () => {
    const s = scheduler();
    await s.start();
    await expect(workerErrorCodeOf(s.submit(task('late'), Date.now()))).resolves.toBe('timeout');
    expect(lanes.every((lane) => lane.runs.length === 0)).toBe(true);
  });

  it('should drop a queued job with timeout at its deadline without ever running it', async () => {
    const s = scheduler();
    await s.start();
    void s.submit(task('a'), Date.now() + 10_000);
    void s.submit(task('b'), Date.now() + 10_000);
    const waiting = workerErrorCodeOf(s.submit(task('short'), Date.now() + 500));
    jest.advanceTimersByTime(500);
    await expect(waiting).resolves.toBe('timeout');
    expect(s.health().queueDepth).toBe(0);
    lanes[0].finish();
    await flush();
    expect(lanes.flatMap((lane) => lane.runs.map((run) => run.task.requestId))).not.toContain('short');
  });

  it('should drop a queued job whose caller left, without ever running it', async () => {
    const s = scheduler();
    await s.start();
    void s.submit(task('a'), Date.now() + 10_000);
    void s.submit(task('b'), Date.now() + 10_000);
    const caller = new AbortController();
    const waiting = workerErrorCodeOf(s.submit(task('gone'), Date.now() + 10_000, 0, caller.signal));
    const next = s.submit(task('next'), Date.now() + 10_000);
    caller.abort();
    await expect(waiting).resolves.toBe('cancelled');
    expect(s.health().queueDepth).toBe(1);
    lanes[0].finish();
    await flush();
    const started = lanes.flatMap((lane) => lane.runs.map((run) => run.task.requestId));
    expect(started).toContain('next');
    expect(started).not.toContain('gone');
    lanes.forEach((lane) => lane.finish());
    await next;
  });

  it('should refuse a job whose caller already left, and let a running one finish when its caller leaves', async () => {
    const s = scheduler();
    await s.start();
    const left = new AbortController();
    left.abort();
    await expect(workerErrorCodeOf(s.submit(task('late'), Date.now() + 10_000, 0, left.signal))).resolves.toBe('cancelled');
    const caller = new AbortController();
    const running = s.submit(task('running'), Date.now() + 10_000, 0, caller.signal);
    caller.abort();
    lanes[0].finish('kept');
    await expect(running).resolves.toMatchObject({ output: { text: 'kept' } });
  });

  it('should keep the lane for the next job when the queued head has expired', async () => {
    const s = scheduler({ laneCount: () => 1 });
    await s.start();
    const now = Date.now();
    void s.submit(task('running'), now + 10_000);
    const expiring = workerErrorCodeOf(s.submit(task('expiring'), now + 1_000));
    const next = s.submit(task('next'), now + 10_000);
    // The lane frees up in the same tick as the head's deadline, before its timer fires.
    jest.setSystemTime(now + 1_000);
    lanes[0].finish();
    await flush();
    await expect(expiring).resolves.toBe('timeout');
    expect(lanes[0].runs.map((run) => run.task.requestId)).toEqual(['next']);
    lanes[0].finish('next done');
    await expect(next).resolves.toMatchObject({ output: { text: 'next done' } });
  });

  it('should not wrap a far-away deadline into an immediate timeout', async () => {
    const s = scheduler({ laneCount: () => 1 });
    await s.start();
    void s.submit(task('running'), Date.now() + 10_000);
    const patient = workerErrorCodeOf(s.submit(task('patient'), Date.now() + 40 * 24 * 3600 * 1000));
    jest.advanceTimersByTime(1_000);
    await flush();
    expect(s.health().queueDepth).toBe(1);
    lanes[0].finish();
    await flush();
    lanes[0].finish();
    await expect(patient).resolves.toBe('resolved');
  });

  it('should let large images take turns while small ones share the lanes, in arrival order', async () => {
    const s = scheduler({ maxQueue: 4, maxInflightPixels: 10 });
    await s.start();
    const deadline = Date.now() + 60_000;
    void s.submit(task('big-1'), deadline, 8);
    void s.submit(task('big-2'), deadline, 8);
    void s.submit(task('small'), deadline, 1);
    expect(s.health()).toMatchObject({ inFlight: 1, queueDepth: 2 });
    expect(lanes[1].runs).toHaveLength(0);

    lanes[0].finish();
    await flush();
    const running = lanes.flatMap((lane) => lane.runs.map((run) => run.task.requestId)).sort();
    expect(running).toEqual(['big-2', 'small']);
    expect(s.health()).toMatchObject({ inFlight: 2, queueDepth: 0 });
  });

  it('should run an image larger than the whole budget on its own', async () => {
    const s = scheduler({ maxInflightPixels: 10 });
    await s.start();
    const deadline = Date.now() + 60_000;
    const huge = s.submit(task('huge'), deadline, 50);
    void s.submit(task('small'), deadline, 1);
    expect(s.health()).toMatchObject({ inFlight: 1, queueDepth: 1 });
    lanes[0].finish('huge done');
    await expect(huge).resolves.toMatchObject({ output: { text: 'huge done' } });
    await flush();
    expect(s.health()).toMatchObject({ inFlight: 1, queueDepth: 0 });
  });

  it('should fail the job of a crashed lane with internal_error and start a replacement', async () => {
    const s = scheduler();
    await s.start();
    const doomed = workerErrorCodeOf(s.submit(task('a'), Date.now() + 10_000));
    lanes[0].crash();
    await expect(doomed).resolves.toBe('internal_error');
    await flush();
    expect(s.health().lanes).toBe(1);

    jest.advanceTimersByTime(0);
    await flush();
    expect(createLane).toHaveBeenCalledTimes(3);
    expect(s.health().lanes).toBe(2);
    const next = s.submit(task('b'), Date.now() + 10_000);
    const runner = lanes.find((lane) => lane.runs.length > 0);
    runner?.finish('after crash');
    await expect(next).resolves.toMatchObject({ output: { text: 'after crash' } });
  });

  it('should stop and replace a lane whose job runs well past its deadline', async () => {
    const s = scheduler();
    await s.start();
    const stuck = workerErrorCodeOf(s.submit(task('slow'), Date.now() + 1_000));
    jest.advanceTimersByTime(2_999);
    await flush();
    expect(lanes[0].aborted).toBe(false);
    jest.advanceTimersByTime(1);
    await expect(stuck).resolves.toBe('timeout');
    expect(lanes[0].aborted).toBe(true);
    await flush();
    jest.advanceTimersByTime(0);
    await flush();
    expect(createLane).toHaveBeenCalledTimes(3);
    expect(s.health()).toMatchObject({ lanes: 2, inFlight: 0 });
  });

  it('should leave a lane alone when its job finishes after the deadline but within the grace', async () => {
    const s = scheduler();
    await s.start();
    const late = s.submit(task('slow'), Date.now() + 1_000);
    jest.advanceTimersByTime(2_500);
    lanes[0].finish('late but fine');
    await expect(late).resolves.toMatchObject({ output: { text: 'late but fine' } });
    jest.advanceTimersByTime(10_000);
    await flush();
    expect(lanes[0].aborted).toBe(false);
  });

  it('should keep retrying a replacement that fails to start, with backoff', async () => {
    const s = scheduler();
    await s.start();
    createLane.mockRejectedValueOnce(new Error('busy')).mockRejectedValueOnce(new Error('busy'));
    lanes[1].crash();
    await flush();
    jest.advanceTimersByTime(0);
    await flush();
    expect(createLane).toHaveBeenCalledTimes(3);
    jest.advanceTimersByTime(999);
    await flush();
    expect(createLane).toHaveBeenCalledTimes(3);
    jest.advanceTimersByTime(1);
    await flush();
    expect(createLane).toHaveBeenCalledTimes(4);
    jest.advanceTimersByTime(1_000);
    await flush();
    expect(createLane).toHaveBeenCalledTimes(5);
    expect(s.health().lanes).toBe(2);
  });

  it('should not hand new work to a lane that died after finishing its job', async () => {
    const s = scheduler({ laneCount: () => 1 });
    await s.start();
    void s.submit(task('a'), Date.now() + 10_000);
    const queued = workerErrorCodeOf(s.submit(task('b'), Date.now() + 10_000));
    lanes[0].alive = false;
    lanes[0].finish();
    await flush();
    expect(lanes[0].runs).toHaveLength(0);
    expect(s.health().queueDepth).toBe(1);
    jest.advanceTimersByTime(10_000);
    await expect(queued).resolves.toBe('timeout');
  });

  it('should let running jobs finish on drain, refuse new ones, and fail what is left after the grace period', async () => {
    const s = scheduler({ maxQueue: 4 });
    await s.start();
    const deadline = Date.now() + 60_000;
    const finishing = s.submit(task('a'), deadline);
    const stuck = workerErrorCodeOf(s.submit(task('b'), deadline));
    const queued = [workerErrorCodeOf(s.submit(task('c'), deadline)), workerErrorCodeOf(s.submit(task('d'), deadline))];

    const drained = s.drain(5_000);
    await expect(workerErrorCodeOf(s.submit(task('late'), deadline))).resolves.toBe('worker_overloaded');
    lanes[0].finish('finished in time');
    await expect(finishing).resolves.toMatchObject({ output: { text: 'finished in time' } });
    await flush();
    expect(lanes[0].runs.map((run) => run.task.requestId)).toEqual(['c']);

    jest.advanceTimersByTime(5_000);
    await drained;
    await expect(stuck).resolves.toBe('internal_error');
    await expect(Promise.all(queued)).resolves.toEqual(['internal_error', 'worker_overloaded']);
    expect(lanes.every((lane) => !lane.alive)).toBe(true);
  });

  it('should drain at once when nothing is running', async () => {
    const s = scheduler();
    await s.start();
    await s.drain(60_000);
    expect(lanes.every((lane) => !lane.alive)).toBe(true);
    expect(s.health().lanes).toBe(0);
  });
});
