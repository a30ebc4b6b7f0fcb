import type { DocumentPage, ReadDocumentResult } from '@app/contracts';
import { ApiError } from '../../common/errors/api-error';
import { loadConfig } from '../../config';
import type { OcrWorkerClient } from '../../ocr-worker-client/ocr-worker.client';
import type { UsageLedger } from '../../usage/usage-ledger';
import { FakeLedger } from '../testing/ocr-fakes';
import { DocumentOcrService } from './document-ocr.service';
import { parsePageSelection } from './page-selection';

function page(number: number): DocumentPage {
  return {
    page: number,
    width: 10,
    height: 10,
    text: `page ${number}`,
    lines: [],
    source: 'text-layer',
    warnings: [],
  };
}

function answer(pages: number[]): ReadDocumentResult {
  return {
    pages: pages.map(page),
    text: pages.map((n) => `page ${n}`).join('\n\n'),
    model: 'test',
    device: 'cpu',
    timing: { totalMs: 1, queueMs: 0, inferenceMs: 1 },
  };
}

describe(DocumentOcrService.name, () => {
  const document = { bytes: Buffer.from('%PDF-1.7'), format: 'pdf' as const, sha256: 'x' };
  const call = { id: 'req_1', arrivedAt: Date.now(), signal: new AbortController().signal };

  function service(worker: { pageCount: number; read: (pages: number[]) => Promise<ReadDocumentResult> }): {
    service: DocumentOcrService;
    reads: number[][];
  } {
    const reads: number[][] = [];
    const client = {
      inspectDocument: () => Promise.resolve({ pageCount: worker.pageCount }),
      readDocument: (job: { pages: number[] }) => {
        reads.push(job.pages);
        return worker.read(job.pages);
      },
    };
    return {
      service: new DocumentOcrService(
        client as unknown as OcrWorkerClient,
        loadConfig({ PDF_MAX_PAGES: '5' }, '/'),
      ),
      reads,
    };
  }

  it('should reserve a unit per chosen page and keep them for the pages read', async () => {
    const ledger = new FakeLedger(10);
    const { service: documents, reads } = service({
      pageCount: 4,
      read: (pages) => Promise.resolve(answer(pages)),
    });
    const result = await documents.read(
      document,
      { pages: parsePageSelection('2-3'), ocr: 'auto', mode: 'text' },
      call,
      ledger as unknown as UsageLedger,
    );
    expect(reads).toEqual([[2, 3]]);
    expect(result).toMatchObject({ id: 'req_1', pageCount: 4, cached: false, text: 'page 2\n\npage 3' });
    expect(ledger.used).toBe(2);
  });

  it('should give back the pages of a read that failed, and pass its error on', async () => {
    const ledger = new FakeLedger(10);
    const failure = new ApiError(504, 'timeout', 'The OCR did not finish within the time limit.');
    const { service: documents } = service({ pageCount: 3, read: () => Promise.reject(failure) });
    await expect(
      documents.read(document, { ocr: 'always', mode: 'text' }, call, ledger as unknown as UsageLedger),
    ).rejects.toBe(failure);
    expect(ledger.used).toBe(0);
  });

  it('should give back the units of pages the worker did not answer', async () => {
    const ledger = new FakeLedger(10);
    const { service: documents } = service({ pageCount: 3, read: () => Promise.resolve(answer([1])) });
    const result = await documents.read(
      document,
      { ocr: 'auto', mode: 'text' },
      call,
      ledger as unknown as UsageLedger,
    );
    expect(result.pages).toHaveLength(1);
    expect(ledger.used).toBe(1);
  });

  it('should take nothing when the page count is over the limit or over the quota', async () => {
    const ledger = new FakeLedger(2);
    const over = service({ pageCount: 6, read: () => Promise.resolve(answer([])) });
    await expect(
      over.service.read(document, { ocr: 'auto', mode: 'text' }, call, ledger as unknown as UsageLedger),
    ).rejects.toMatchObject({ code: 'too_many_pages' });
    const quota = service({ pageCount: 3, read: () => Promise.resolve(answer([1, 2, 3])) });
    await expect(
      quota.service.read(document, { ocr: 'auto', mode: 'text' }, call, ledger as unknown as UsageLedger),
    ).rejects.toMatchObject({ code: 'quota_exceeded' });
    expect(quota.reads).toEqual([]);
    expect(ledger.used).toBe(0);
  });
});
