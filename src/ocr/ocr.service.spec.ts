import type { DocumentOcrService } from './document/document-ocr.service';
import { Logger } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { loadConfig } from '../config';
import type { UsageLedger } from '../usage/usage-ledger';
import { ResultCache } from './cache/result-cache';
import type { ImageInputService } from './image-input';
import { OcrService, publicResult } from './ocr.service';
import {
  counted,
  FakeIntake,
  FakeLedger,
  FakeWorker,
  TEST_KEY,
  testMetrics,
  ocrCall,
  workerResult,
} from './testing/ocr-fakes';
import type { OcrWorkerClient } from '../ocr-worker-client/ocr-worker.client';

describe(OcrService.name, () => {
  let intake: FakeIntake;
  let usage: FakeLedger;
  let worker: FakeWorker;
  let cache: ResultCache;
  let metrics: ReturnType<typeof testMetrics>;

  function service(
    options: { worker?: FakeWorker; cache?: ResultCache; env?: NodeJS.ProcessEnv } = {},
  ): OcrService {
    worker = options.worker ?? new FakeWorker();
    cache = options.cache ?? new ResultCache({ maxBytes: 1024 * 1024, ttlMs: 60_000 });
    return new OcrService(
      intake as unknown as ImageInputService,
      cache,
      worker as unknown as OcrWorkerClient,
      metrics.metrics,
      loadConfig(options.env ?? {}, '/'),
      null as unknown as DocumentOcrService,
    );
  }

  const inline = (value: string) => ({ kind: 'inline' as const, value });
  const ledger = (): UsageLedger => usage as unknown as UsageLedger;

  beforeEach(() => {
    intake = new FakeIntake();
    usage = new FakeLedger();
    metrics = testMetrics();
  });

  it('should read, reserve one unit, ask the worker and answer the contract result', async () => {
    const ocr = service();
    const result = await ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_1'), ledger());
    expect(result).toEqual({
      id: 'req_1',
      text: 'TOTAL 12.50',
      lines: workerResult().lines,
      width: 64,
      height: 32,
      warnings: [],
      model: 'PP-OCRv4 test',
      device: 'cpu',
      cached: false,
      timing: { totalMs: 120, queueMs: 3, inferenceMs: 110 },
    });
    expect(usage.used).toBe(1);
    expect(worker.calls).toHaveLength(1);
    expect(worker.calls[0].request).toEqual({
      requestId: 'req_1',
      bytes: Buffer.from('image-a'),
      image: { format: 'png', width: 64, height: 32 },
      mode: 'text',
    });
    await expect(counted(metrics.images, { endpoint: 'single', outcome: 'ok' })).resolves.toBe(1);
  });

  it('should give the worker a deadline OCR_TIMEOUT_MS after the request arrived, and the caller’s signal', async () => {
    const ocr = service({ env: { OCR_TIMEOUT_MS: '5000' } });
    const call = ocrCall('req_1', Date.now() - 1200);
    await ocr.recognize(TEST_KEY, inline('image-a'), 'text', call, ledger());
    expect(worker.calls[0].deadline).toBe(call.arrivedAt + 5000);
    expect(worker.calls[0].signal).toBe(call.signal);
  });

  it('should refuse a bad image before reserving anything', async () => {
    const ocr = service();
    await expect(
      ocr.recognize(TEST_KEY, inline('bad-bytes'), 'text', ocrCall('req_1'), ledger()),
    ).rejects.toMatchObject({
      code: 'invalid_image',
    });
    expect(usage.reservations).toBe(0);
    expect(worker.calls).toHaveLength(0);
    await expect(counted(metrics.images, { endpoint: 'single', outcome: 'invalid_image' })).resolves.toBe(1);
  });

  it('should not call the worker when the quota refuses', async () => {
    usage = new FakeLedger(0);
    const ocr = service();
    await expect(ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_1'), ledger())).rejects.toMatchObject(
      {
        code: 'quota_exceeded',
      },
    );
    expect(worker.calls).toHaveLength(0);
  });

  it('should refund the unit when the worker fails', async () => {
    const failing = new FakeWorker(() => Promise.reject(new ApiError(503, 'worker_unavailable', 'down')));
    const ocr = service({ worker: failing });
    await expect(ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_1'), ledger())).rejects.toMatchObject(
      {
        code: 'worker_unavailable',
      },
    );
    expect(usage.reservations).toBe(1);
    expect(usage.used).toBe(0);
  });

  it('should answer a repeated image of the same lineage from cache, costing a unit but no worker call', async () => {
    const ocr = service();
    await ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_1'), ledger());
    const hit = await ocr.recognize(
      { ...TEST_KEY, id: 'rotated' },
      inline('image-a'),
      'text',
      ocrCall('req_2'),
      ledger(),
    );
    expect(hit).toMatchObject({
      id: 'req_2',
      cached: true,
      text: 'TOTAL 12.50',
      timing: { queueMs: 0, inferenceMs: 0 },
    });
    expect(worker.calls).toHaveLength(1);
    expect(usage.used).toBe(2);
    await expect(counted(metrics.lookups, { result: 'hit' })).resolves.toBe(1);
    await expect(counted(metrics.lookups, { result: 'miss' })).resolves.toBe(1);
  });

  it('should miss for another lineage, another mode and another model', async () => {
    const ocr = service();
    await ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_1'), ledger());
    await ocr.recognize({ ...TEST_KEY, lineageId: 'other' }, inline('image-a'), 'text', ocrCall('req_2'), ledger());
    await ocr.recognize(TEST_KEY, inline('image-a'), 'markdown', ocrCall('req_3'), ledger());
    worker.model = 'PP-OCRv5';
    await ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_4'), ledger());
    expect(worker.calls).toHaveLength(4);
  });

  it('should skip the cache until the worker’s model is known', async () => {
    const unknown = new FakeWorker();
    unknown.model = undefined;
    const ocr = service({ worker: unknown });
    await ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_1'), ledger());
    unknown.model = 'PP-OCRv4 test';
    await expect(
      ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_2'), ledger()),
    ).resolves.toMatchObject({
      cached: true,
    });
    await expect(counted(metrics.lookups, { result: 'miss' })).resolves.toBe(0);
  });

  it('should treat a failing cache as a miss and still answer', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const broken = new ResultCache({ maxBytes: 1024, ttlMs: 1000 });
    jest.spyOn(broken, 'get').mockRejectedValue(new SyntaxError('bad JSON'));
    jest.spyOn(broken, 'set').mockRejectedValue(new Error('redis down'));
    const ocr = service({ cache: broken });
    await expect(
      ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall('req_1'), ledger()),
    ).resolves.toMatchObject({
      cached: false,
    });
    expect(usage.used).toBe(1);
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('should keep the worker’s request id within its 128 characters', async () => {
    const ocr = service();
    await ocr.recognize(TEST_KEY, inline('image-a'), 'text', ocrCall(`${'r'.repeat(128)}.15`), ledger());
    expect(worker.calls[0].request.requestId).toHaveLength(128);
  });
});

describe(publicResult.name, () => {
  it('should add markdown only when the worker gave one', () => {
    expect(publicResult(workerResult(), 'req_1', false, workerResult().timing)).not.toHaveProperty(
      'markdown',
    );
    expect(
      publicResult(workerResult({ markdown: '# TOTAL' }), 'req_1', true, workerResult().timing),
    ).toMatchObject({
      markdown: '# TOTAL',
      cached: true,
    });
  });
});
