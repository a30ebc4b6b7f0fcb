import { Logger } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { NEVER, Observable, of, throwError } from 'rxjs';
import { OcrPatterns, type RecognizeRequest } from '@app/contracts';
import { ApiError } from '../../common/errors/api-error';
import { loadConfig } from '../../config';
import { WorkerTcpClient } from '../../ocr-client/worker-tcp.client';
import { counted, testMetrics, workerResult } from '../testing/ocr-fakes';
import { OcrWorkerClient } from './ocr-worker.client';

type Reply = () => Observable<unknown>;

/** A ClientProxy whose answers are scripted per call, recording what was sent. */
function scriptedClient(replies: Reply[]): {
  client: ClientProxy;
  sent: Array<{ pattern: string; data: unknown }>;
} {
  const sent: Array<{ pattern: string; data: unknown }> = [];
  const client = {
    send: (pattern: string, data: unknown) => {
      sent.push({ pattern, data });
      const reply = replies.shift();
      if (!reply) {
        throw new Error(`unexpected send #${sent.length}`);
      }
      return reply();
    },
  } as unknown as ClientProxy;
  return { client, sent };
}

const request = { requestId: 'req_1', image: 'aGVsbG8=', mode: 'text' as const };
const refused = (): Observable<never> =>
  throwError(() => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

describe(OcrWorkerClient.name, () => {
  const config = loadConfig({}, '/');

  afterEach(() => jest.restoreAllMocks());

  function create(replies: Reply[]) {
    const { client, sent } = scriptedClient(replies);
    const { metrics } = testMetrics();
    return { worker: new OcrWorkerClient(client, metrics, config), sent };
  }

  it('should send the request with its deadline and remember the model of the answer', async () => {
    const { worker, sent } = create([() => of(workerResult({ model: 'PP-OCRv5' }))]);
    const deadline = Date.now() + 5000;
    await expect(worker.recognize(request, deadline)).resolves.toMatchObject({ text: 'TOTAL 12.50' });
    expect(sent).toEqual([
      { pattern: OcrPatterns.recognize, data: { ...request, deadline } satisfies RecognizeRequest },
    ]);
    expect(worker.model).toBe('PP-OCRv5');
  });

  it('should retry a connection failure once, on a fresh send', async () => {
    const { worker, sent } = create([refused, () => of(workerResult())]);
    await expect(worker.recognize(request, Date.now() + 5000)).resolves.toMatchObject({ width: 64 });
    expect(sent).toHaveLength(2);
  });

  it('should answer 503 worker_unavailable when the retry fails too, and not try a third time', async () => {
    const { worker, sent } = create([refused, () => throwError(() => new Error('Connection closed'))]);
    const error = (await worker.recognize(request, Date.now() + 5000).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('worker_unavailable');
    expect(sent).toHaveLength(2);
  });

  it('should not retry an answer of the worker', async () => {
    const { worker, sent } = create([
      () => throwError(() => ({ code: 'worker_overloaded', message: 'busy' })),
    ]);
    await expect(worker.recognize(request, Date.now() + 5000)).rejects.toMatchObject({
      code: 'worker_overloaded',
      headers: { 'Retry-After': '1' },
    });
    expect(sent).toHaveLength(1);
  });

  it('should stop waiting at the deadline with 504 timeout, without a retry', async () => {
    const { worker, sent } = create([() => NEVER]);
    const started = Date.now();
    await expect(worker.recognize(request, Date.now() + 50)).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sent).toHaveLength(1);
  });

  it('should not send at all when the deadline has already passed', async () => {
    const { worker, sent } = create([]);
    await expect(worker.recognize(request, Date.now() - 1)).rejects.toMatchObject({ code: 'timeout' });
    expect(sent).toHaveLength(0);
  });

  it('should learn the model from a health probe at start-up and keep it when a probe fails', async () => {
    const { worker, sent } = create([
      () =>
        of({
          status: 'ok',
          model: 'PP-OCRv4 probe',
          device: 'cpu',
          lanes: 1,
          queueDepth: 0,
          inFlight: 0,
          maxQueue: 1,
        }),
      refused,
    ]);
    worker.onModuleInit();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent[0].pattern).toBe(OcrPatterns.health);
    expect(worker.model).toBe('PP-OCRv4 probe');
    await (worker as unknown as { refreshModel(): Promise<void> }).refreshModel();
    expect(worker.model).toBe('PP-OCRv4 probe');
    worker.onModuleDestroy();
  });

  it('should time worker calls by outcome', async () => {
    const { client } = scriptedClient([() => of(workerResult()), refused, refused]);
    const { metrics, workerDuration } = testMetrics();
    const worker = new OcrWorkerClient(client, metrics, config);
    await worker.recognize(request, Date.now() + 5000);
    await worker.recognize(request, Date.now() + 5000).catch(() => undefined);
    await expect(counted(workerDuration, { outcome: 'ok' })).resolves.toBe(1);
    await expect(counted(workerDuration, { outcome: 'worker_unavailable' })).resolves.toBe(1);
  });

  describe('after a deadline passed', () => {
    function tcpClient(health: Reply) {
      const client = new WorkerTcpClient({ host: '127.0.0.1', port: 1, connectTimeoutMs: 100 });
      const drop = jest.spyOn(client, 'dropConnection').mockImplementation(() => undefined);
      const replies: Reply[] = [() => NEVER, health];
      jest.spyOn(client, 'send').mockImplementation(() => (replies.shift() as Reply)());
      const { metrics } = testMetrics();
      const proxy = client as unknown as ClientProxy;
      const worker = new OcrWorkerClient(proxy, metrics, loadConfig({ HEALTH_TIMEOUT_MS: '100' }, '/'));
      return { worker, drop };
    }

    it('should drop the connection when the worker leaves a health probe unanswered too', async () => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { worker, drop } = tcpClient(() => NEVER);
      await expect(worker.recognize(request, Date.now() + 30)).rejects.toMatchObject({ code: 'timeout' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(drop).toHaveBeenCalledTimes(1);
    });

    it('should keep the connection when the worker answers the probe: it is slow, not gone', async () => {
      const { worker, drop } = tcpClient(() => of({ status: 'ok', model: 'm' }));
      await expect(worker.recognize(request, Date.now() + 30)).rejects.toMatchObject({ code: 'timeout' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(drop).not.toHaveBeenCalled();
    });
  });
});
