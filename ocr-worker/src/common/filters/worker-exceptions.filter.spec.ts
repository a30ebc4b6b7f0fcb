import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { NestLogger } from '@app/logging';
import { createWorkerLogger } from '../../logging/worker-logger';
import { WorkerMetrics } from '../../metrics/worker-metrics';
import { WorkerError, WorkerErrors } from '../errors/worker-error';
import { WorkerExceptionsFilter } from './worker-exceptions.filter';

describe(WorkerExceptionsFilter.name, () => {
  let lines: Record<string, unknown>[];
  let metrics: WorkerMetrics;
  let filter: WorkerExceptionsFilter;

  beforeEach(() => {
    lines = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    Logger.overrideLogger(NestLogger.over(createWorkerLogger('info', { stream })));
    metrics = new WorkerMetrics();
    filter = new WorkerExceptionsFilter(metrics);
  });

  afterEach(() => {
    Logger.overrideLogger(false);
  });

  /** What the gateway receives for `exception` thrown while handling `data`. */
  async function answer(exception: unknown, data: unknown = { requestId: 'req_abc' }): Promise<unknown> {
    const host = new ExecutionContextHost([data, {}]);
    host.setType('rpc');
    return firstValueFrom(filter.catch(exception, host)).then(
      () => {
        throw new Error('expected the filter to answer an error');
      },
      (error: unknown) => error,
    );
  }

  async function refusals(code: string): Promise<number> {
    const counter = await metrics.registry.getSingleMetric('ocr_worker_refusals_total')?.get();
    return counter?.values.find((value) => value.labels.code === code)?.value ?? 0;
  }

  it("should answer a WorkerError's code and message, log it once as a refusal and count it", async () => {
    await expect(answer(WorkerErrors.overloaded())).resolves.toEqual({
      code: 'worker_overloaded',
      message: 'The OCR worker is busy; retry shortly.',
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        context: WorkerExceptionsFilter.name,
        requestId: 'req_abc',
        code: 'worker_overloaded',
        msg: 'refused',
      }),
    ]);
    await expect(refusals('worker_overloaded')).resolves.toBe(1);
  });

  it('should answer anything else as a generic internal_error and log its path-free cause once', async () => {
    const answered = await answer(new Error('ENOENT: no such file /srv/models/det.onnx'));
    expect(answered).toEqual({ code: 'internal_error', message: 'Recognition failed unexpectedly.' });
    expect(JSON.stringify(answered)).not.toContain('srv');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      requestId: 'req_abc',
      err: {
        type: WorkerError.name,
        message: 'Recognition failed unexpectedly.',
        cause: { type: 'Error', message: 'ENOENT: no such file <path>' },
      },
      msg: 'failed unexpectedly',
    });
    await expect(refusals('internal_error')).resolves.toBe(1);
  });

  it("should not pass on an RpcException's own payload: only the worker's errors choose the answer", async () => {
    await expect(answer(new RpcException({ code: 'timeout', message: 'at /srv/x.ts:1:1' }))).resolves.toEqual({
      code: 'internal_error',
      message: 'Recognition failed unexpectedly.',
    });
  });

  it('should log without a request id when the message has none or a strange one', async () => {
    await answer(WorkerErrors.timeout(), { requestId: 'req with spaces\n' });
    await answer(WorkerErrors.timeout(), null);
    expect(lines.map((line) => line.requestId)).toEqual([undefined, undefined]);
  });
});
