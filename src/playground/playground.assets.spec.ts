import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaygroundAssets } from './playground.assets';

describe(loadPlaygroundAssets.name, () => {
  it('should load the page, its script and its style with their content types', () => {
    const assets = loadPlaygroundAssets();
    expect(assets.get('index.html')?.contentType).toMatch(/^text\/html/);
    expect(assets.get('playground.js')?.contentType).toMatch(/^text\/javascript/);
    expect(assets.get('playground.css')?.contentType).toMatch(/^text\/css/);
  });

  it('should skip files of other types and refuse a folder without index.html', () => {
    const dir = mkdtempSync(join(tmpdir(), 'playground-'));
    try {
      writeFileSync(join(dir, 'notes.txt'), 'x');
      expect(() => loadPlaygroundAssets(dir)).toThrow(/no index\.html/);
      writeFileSync(join(dir, 'index.html'), '<!doctype html>');
      expect([...loadPlaygroundAssets(dir).keys()]).toEqual(['index.html']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
