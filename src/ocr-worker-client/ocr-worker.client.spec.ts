import { Logger } from '@nestjs/common';
import { NEVER, of, throwError } from 'rxjs';
import { OcrPatterns, type RecognizeRequest } from '@app/contracts';
import { ApiError } from '../common/errors/api-error';
import { loadConfig } from '../config';
import { counted, testMetrics, workerResult } from '../ocr/testing/ocr-fakes';
import { OcrWorkerClient, type WorkerJob } from './ocr-worker.client';
import { refused, ScriptedChannel, type Reply } from './testing/scripted-channel';
import { WorkerPool } from './worker-pool';

const job: WorkerJob = {
  requestId: 'req_1',
  bytes: Buffer.from('hello'),
  image: { format: 'png', width: 10, height: 10 },
  mode: 'text',
};
const soon = (ms = 5000) => ({ deadline: Date.now() + ms });

describe(OcrWorkerClient.name, () => {
  afterEach(() => jest.restoreAllMocks());

  /** A client over one data connection answering `replies`; the link is not probing. */
  function create(replies: Reply[], env: Record<string, string> = {}) {
    const config = loadConfig({ WORKER_CONNECTIONS: '1', ...env }, '/');
    const channels: ScriptedChannel[] = [];
    const open = (): ScriptedChannel => {
      const channel = new ScriptedChannel(channels.length === 0 ? replies : []);
      channels.push(channel);
      return channel;
    };
    const pool = new WorkerPool([{ endpoint: '127.0.0.1:5003', open }], config);
    const { metrics, workerDuration } = testMetrics();
    return { worker: new OcrWorkerClient(pool, metrics, config), channel: channels[0], workerDuration };
  }

  it('should send the job with a job id and its deadline, and remember the model of the answer', async () => {
    const { worker, channel } = create([() => of(workerResult({ model: 'PP-OCRv5' }))]);
    const { deadline } = soon();
    await expect(worker.recognize(job, { deadline })).resolves.toMatchObject({ text: 'TOTAL 12.50' });
    expect(channel.sent).toEqual([
      {
        pattern: OcrPatterns.recognize,
        data: {
          ...job,
          jobId: expect.stringMatching(/^job_[\w-]{16}$/),
          deadline,
        } satisfies RecognizeRequest,
      },
    ]);
    expect(worker.model).toBe('PP-OCRv5');
    expect(worker.inFlight).toEqual({ jobs: 0, bytes: 0 });
  });

  it('should retry a connection failure once, on a fresh send', async () => {
    const { worker, channel } = create([refused, () => of(workerResult())]);
    await expect(worker.recognize(job, soon())).resolves.toMatchObject({ width: 64 });
    expect(channel.sent).toHaveLength(2);
  });

  it('should answer 503 worker_unavailable when the retry fails too, and not try a third time', async () => {
    const { worker, channel } = create([refused, () => throwError(() => new Error('Connection closed'))]);
    const error = (await worker.recognize(job, soon()).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('worker_unavailable');
    expect(channel.sent).toHaveLength(2);
  });

  it('should not retry an answer of the worker', async () => {
    const { worker, channel } = create([
      () => throwError(() => ({ code: 'worker_overloaded', message: 'busy' })),
    ]);
    await expect(worker.recognize(job, soon())).rejects.toMatchObject({
      code: 'worker_overloaded',
      headers: { 'Retry-After': '1' },
    });
    expect(channel.sent).toHaveLength(1);
  });

  it('should stop waiting at the deadline with 504 timeout, without a retry', async () => {
    const { worker, channel } = create([() => NEVER]);
    const started = Date.now();
    await expect(worker.recognize(job, soon(50))).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(channel.sent).toHaveLength(1);
  });

  it('should not send at all when the deadline has already passed', async () => {
    const { worker, channel } = create([]);
    await expect(worker.recognize(job, soon(-1))).rejects.toMatchObject({ code: 'timeout' });
    expect(channel.sent).toHaveLength(0);
  });

  it('should cancel the job on the worker, on its own connection, when the caller stops waiting', async () => {
    const { worker, channel } = create([() => NEVER]);
    const gone = new AbortController();
    const waiting = worker.recognize(job, { ...soon(), signal: gone.signal });
    gone.abort();
    await expect(waiting).rejects.toBeInstanceOf(ApiError);
    const { jobId } = channel.sent[0].data as RecognizeRequest;
    expect(channel.emitted).toEqual([{ pattern: OcrPatterns.cancel, data: { jobId } }]);
    expect(worker.inFlight).toEqual({ jobs: 0, bytes: 0 });
  });

  it('should refuse at once with worker_overloaded beyond the bytes in flight, without sending', async () => {
    const { worker, channel } = create([() => NEVER], { WORKER_MAX_INFLIGHT_BYTES: '1024' });
    const big = { ...job, bytes: Buffer.alloc(1000) };
    const first = worker.recognize(big, soon(200));
    const started = Date.now();
    await expect(worker.recognize(big, soon())).rejects.toMatchObject({
      code: 'worker_overloaded',
      headers: { 'Retry-After': '1' },
    });
    expect(Date.now() - started).toBeLessThan(50);
    expect(channel.sent).toHaveLength(1);
    await expect(first).rejects.toMatchObject({ code: 'timeout' });
  });

  it('should refuse beyond WORKER_MAX_QUEUE jobs in flight before the worker has told its capacity', async () => {
    const { worker } = create([() => NEVER, () => NEVER], { WORKER_MAX_QUEUE: '2' });
    const waiting = [worker.recognize(job, soon(100)), worker.recognize(job, soon(100))];
    await expect(worker.recognize(job, soon())).rejects.toMatchObject({ code: 'worker_overloaded' });
    await Promise.allSettled(waiting);
  });

  it('should time worker calls by outcome', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { worker, workerDuration } = create([() => of(workerResult()), refused, refused]);
    await worker.recognize(job, soon());
    await worker.recognize(job, soon()).catch(() => undefined);
    await expect(counted(workerDuration, { outcome: 'ok' })).resolves.toBe(1);
    await expect(counted(workerDuration, { outcome: 'worker_unavailable' })).resolves.toBe(1);
  });
});
