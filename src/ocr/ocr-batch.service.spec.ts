import type { DocumentOcrService } from './document/document-ocr.service';
import { loadConfig } from '../config';
import type { UsageLedger } from '../usage/usage-ledger';
import { ResultCache } from './cache/result-cache';
import type { ImageInputService } from './image-input';
import { OcrBatchService } from './ocr-batch.service';
import { OcrService } from './ocr.service';
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

describe(OcrBatchService.name, () => {
  let usage: FakeLedger;
  const ledger = (): UsageLedger => usage as unknown as UsageLedger;
  let worker: FakeWorker;
  let metrics: ReturnType<typeof testMetrics>;

  function service(
    options: { limit?: number; worker?: FakeWorker; env?: NodeJS.ProcessEnv; intake?: FakeIntake } = {},
  ): OcrBatchService {
    usage = new FakeLedger(options.limit ?? 100);
    worker = options.worker ?? new FakeWorker();
    metrics = testMetrics();
    const config = loadConfig(options.env ?? {}, '/');
    const ocr = new OcrService(
      (options.intake ?? new FakeIntake()) as unknown as ImageInputService,
      new ResultCache({ maxBytes: 1024 * 1024, ttlMs: 60_000 }),
      worker as unknown as OcrWorkerClient,
      metrics.metrics,
      config,
      null as unknown as DocumentOcrService,
    );
    return new OcrBatchService(ocr, metrics.metrics, config);
  }

  it('should answer every item in order with its id, an error for a bad one, and count only results', async () => {
    const batch = service();
    const answer = await batch.recognize(
      TEST_KEY,
      {
        images: [
          { image: 'one', id: 'a' },
          { image: 'bad-one', id: 'b' },
          { image: 'two', id: null },
        ],
      },
      ocrCall('req_9'),
      ledger(),
    );
    expect(answer.results).toEqual([
      { id: 'a', result: expect.objectContaining({ id: 'req_9.0', text: 'TOTAL 12.50', cached: false }) },
      { id: 'b', error: { code: 'invalid_image', message: 'The image could not be read: it is damaged.' } },
      { result: expect.objectContaining({ id: 'req_9.2' }) },
    ]);
    expect(usage.used).toBe(2);
    await expect(counted(metrics.images, { endpoint: 'batch', outcome: 'ok' })).resolves.toBe(2);
    await expect(counted(metrics.images, { endpoint: 'batch', outcome: 'invalid_image' })).resolves.toBe(1);
  });

  it('should give quota_exceeded to the item where the quota runs out and every later one, in item order', async () => {
    // Later items finish their intake first (shorter sources read faster here): reservations must
    // still follow the item order.
    const intake = new FakeIntake((source) => source.length * 4);
    const batch = service({ limit: 2, intake, env: { BATCH_CONCURRENCY: '5' } });
    const answer = await batch.recognize(
      TEST_KEY,
      {
        images: ['p', 'bad', 'q', 'r', 's'].map((image, i) => ({
          image: image.repeat(5 - i),
          id: String(i),
        })),
      },
      ocrCall('req_1'),
      ledger(),
    );
    expect(answer.results.map((r) => ('result' in r ? 'ok' : r.error.code))).toEqual([
      'ok',
      'invalid_image',
      'ok',
      'quota_exceeded',
      'quota_exceeded',
    ]);
    expect(answer.results[3]).toMatchObject({ error: { retryAfter: 3600 } });
    expect(usage.used).toBe(2);
    expect(worker.calls).toHaveLength(2);
  });

  it('should refund the items the worker fails and keep the others', async () => {
    const flaky = new FakeWorker((request) =>
      request.requestId.endsWith('.1')
        ? Promise.reject(Object.assign(new Error('boom'), { name: 'TypeError' }))
        : Promise.resolve(workerResult()),
    );
    const batch = service({ worker: flaky });
    jest.spyOn(batch['logger'], 'error').mockImplementation(() => undefined);
    const answer = await batch.recognize(
      TEST_KEY,
      { images: [{ image: 'x' }, { image: 'y' }, { image: 'z' }] },
      ocrCall('req_2'),
      ledger(),
    );
    expect(answer.results[1]).toEqual({
      error: { code: 'internal_error', message: expect.not.stringContaining('boom') },
    });
    expect(usage.used).toBe(2);
  });

  it('should keep at most BATCH_CONCURRENCY images in flight', async () => {
    const slow = new FakeWorker(() => new Promise((resolve) => setTimeout(() => resolve(workerResult()), 5)));
    const batch = service({ worker: slow, env: { BATCH_CONCURRENCY: '3' } });
    const images = Array.from({ length: 16 }, (_, i) => ({ image: `image-${i}` }));
    const answer = await batch.recognize(TEST_KEY, { images }, ocrCall('req_3'), ledger());
    expect(answer.results.every((r) => 'result' in r)).toBe(true);
    expect(slow.peak).toBe(3);
  });

  it('should refuse more than BATCH_MAX images as a whole with 400 validation_failed', async () => {
    const batch = service({ env: { BATCH_MAX: '2' } });
    await expect(
      batch.recognize(
        TEST_KEY,
        { images: [{ image: 'a' }, { image: 'b' }, { image: 'c' }] },
        ocrCall('req_4'),
        ledger(),
      ),
    ).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('at most 2') });
    expect(usage.reservations).toBe(0);
  });

  it('should apply the batch mode to every image', async () => {
    const batch = service();
    await batch.recognize(
      TEST_KEY,
      { images: [{ image: 'a' }, { image: 'b' }], mode: 'markdown' },
      ocrCall('req_5'),
      ledger(),
    );
    expect(worker.calls.map((c) => c.request.mode)).toEqual(['markdown', 'markdown']);
  });
});
