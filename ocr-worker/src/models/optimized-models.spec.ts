/**
 * @jest-environment <rootDir>/ocr-worker/src/models/optimize/testing/onnx-runtime-environment.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagedModelFiles } from './model-files';
import { optimizingPreparer } from './optimized-models';

jest.setTimeout(60_000);

describe(optimizingPreparer.name, () => {
  let cache: string;
  const logs: string[] = [];
  const warnings: string[] = [];
  const logger = { log: (m: string) => logs.push(m), warn: (m: string) => warnings.push(m) };

  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'optimized-models-'));
    logs.length = 0;
    warnings.length = 0;
  });

  afterEach(() => {
    rmSync(cache, { recursive: true, force: true });
  });

  it('should answer the rewritten model in the cache, and reuse it the next time', async () => {
    const prepare = optimizingPreparer(cache, logger);
    const first = await prepare(packagedModelFiles().cls, 'cls');
    const second = await prepare(packagedModelFiles().cls, 'cls');
    expect(first.startsWith(cache)).toBe(true);
    expect(second).toBe(first);
    expect(logs[0]).toMatch(/^cls model: graph rewrite applied \(\d+ affine ops folded/);
    expect(logs[1]).toMatch(/^cls model: graph rewrite loaded from cache/);
    expect(warnings).toEqual([]);
  });

  it('should fall back to the model as shipped, with a warning that names no path', async () => {
    const broken = join(cache, 'broken_rec.onnx');
    writeFileSync(broken, 'not a model');
    const prepared = await optimizingPreparer(cache, logger)(broken, 'rec');
    expect(prepared).toBe(broken);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^rec model runs as shipped: /);
    expect(warnings[0]).not.toContain(cache);
  });
});
