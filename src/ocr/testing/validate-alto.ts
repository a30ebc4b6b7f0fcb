import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The published ALTO 4.4 schema and the XLink schema it imports (see the README there). */
const SCHEMA_DIR = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'alto');

/**
 * xmllint's verdict against the published ALTO 4.4 schema, offline: the catalog points the
 * schema's XLink import at the copy beside it.
 */
export function validateAlto(xml: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'alto-'));
  try {
    const file = join(dir, 'page.xml');
    writeFileSync(file, xml);
    const output = execFileSync(
      'xmllint',
      ['--nonet', '--noout', '--schema', join(SCHEMA_DIR, 'alto-4-4.xsd'), file],
      { env: { ...process.env, XML_CATALOG_FILES: join(SCHEMA_DIR, 'catalog.xml') }, stdio: 'pipe' },
    );
    return { ok: true, output: output.toString() };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: Buffer }).stderr ?? error) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
