import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFirstAdminKey } from './first-admin-key';

describe(writeFirstAdminKey.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ocr-first-key-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should write the key readable by its owner only', () => {
    const file = join(dir, 'first-admin-key');
    writeFirstAdminKey(file, 'ocr_test_key');
    expect(readFileSync(file, 'utf8')).toBe('ocr_test_key\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('should replace a file left by an earlier installation, with its wider mode', () => {
    const file = join(dir, 'first-admin-key');
    writeFileSync(file, 'old\n', { mode: 0o644 });
    writeFirstAdminKey(file, 'ocr_new_key');
    expect(readFileSync(file, 'utf8')).toBe('ocr_new_key\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('should replace a link rather than write through it', () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched\n');
    const file = join(dir, 'first-admin-key');
    symlinkSync(target, file);
    writeFirstAdminKey(file, 'ocr_new_key');
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
  });
});
