import { createHash } from 'node:crypto';
import type { RecognizeResult } from '@app/contracts';
import { ResultCache, SharedResultStore } from './result-cache';

function result(text: string, model = 'm1'): RecognizeResult {
  return {
    text,
    lines: [
      {
        text,
        confidence: 0.9,
        box: [
          [0, 0],
          [10, 0],
          [10, 5],
          [0, 5],
        ],
        words: [],
      },
    ],
    width: 10,
    height: 5,
    warnings: [],
    model,
    device: 'cpu',
    timing: { totalMs: 1, queueMs: 0, inferenceMs: 1 },
  };
}

class MapStore implements SharedResultStore {
  readonly map = new Map<string, string>();
  get(key: string): Promise<string | null> {
    return Promise.resolve(this.map.get(key) ?? null);
  }
  set(key: string, value: string): Promise<void> {
    this.map.set(key, value);
    return Promise.resolve();
  }
}

describe(ResultCache.name, () => {
  const ttlMs = 60_000;

  it('should return what the same lineage stored for the same bytes, mode and model', async () => {
    const cache = new ResultCache({ maxBytes: 1 << 20, ttlMs });
    await cache.set('lin1', 'sha', 'text', result('TOTAL 12.50'));
    expect((await cache.get('lin1', 'sha', 'text', 'm1'))?.text).toBe('TOTAL 12.50');
  });

  it('should never serve one lineage an entry of another', async () => {
    const cache = new ResultCache({ maxBytes: 1 << 20, ttlMs });
    await cache.set('lin1', 'sha', 'text', result('secret'));
    expect(await cache.get('lin2', 'sha', 'text', 'm1')).toBeUndefined();
  });

  it('should miss when the mode or the model version differs', async () => {
    const cache = new ResultCache({ maxBytes: 1 << 20, ttlMs });
    await cache.set('lin1', 'sha', 'text', result('x'));
    expect(await cache.get('lin1', 'sha', 'markdown', 'm1')).toBeUndefined();
    expect(await cache.get('lin1', 'sha', 'text', 'm2')).toBeUndefined();
  });

  it('should evict the least recently used entries beyond its byte budget', async () => {
    const big = 'x'.repeat(4000); // about 16.5 kB an entry: two fit in the budget, three do not
    const cache = new ResultCache({ maxBytes: 40_000, ttlMs });
    await cache.set('lin', 'a', 'text', result(big));
    await cache.set('lin', 'b', 'text', result(big));
    await cache.get('lin', 'a', 'text', 'm1');
    await cache.set('lin', 'c', 'text', result(big));
    expect(await cache.get('lin', 'b', 'text', 'm1')).toBeUndefined();
    expect(await cache.get('lin', 'a', 'text', 'm1')).toBeDefined();
  });

  it('should store nothing when disabled', async () => {
    const cache = new ResultCache({ maxBytes: 0, ttlMs });
    await cache.set('lin', 'sha', 'text', result('x'));
    expect(cache.enabled).toBe(false);
    expect(await cache.get('lin', 'sha', 'text', 'm1')).toBeUndefined();
  });

  it('should fill the shared store and read back from it in another process', async () => {
    const store = new MapStore();
    await new ResultCache({ maxBytes: 1 << 20, ttlMs }, store).set('lin', 'sha', 'lines', result('shared'));
    const other = new ResultCache({ maxBytes: 1 << 20, ttlMs }, store);
    expect((await other.get('lin', 'sha', 'lines', 'm1'))?.text).toBe('shared');
    expect([...store.map.keys()].join()).not.toContain('lin');
  });

  it('should not serve an entry an older gateway stored before results carried words', async () => {
    const store = new MapStore();
    const old = {
      ...result('old'),
      lines: [{ text: 'old', confidence: 0.9, box: result('old').lines[0].box }],
    };
    // The key as a gateway before RESULT_SHAPE_VERSION wrote it.
    const digest = createHash('sha256').update('lin\0text\0m1\0sha').digest('base64url');
    await store.set(`ocr:result:${digest}`, JSON.stringify(old));
    const cache = new ResultCache({ maxBytes: 1 << 20, ttlMs }, store);
    expect(await cache.get('lin', 'sha', 'text', 'm1')).toBeUndefined();
    await cache.set('lin', 'sha', 'text', result('new'));
    expect((await cache.get('lin', 'sha', 'text', 'm1'))?.lines[0].words).toEqual([]);
  });
});
