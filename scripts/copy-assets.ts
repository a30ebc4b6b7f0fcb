import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Folders of static files the gateway serves from beside its compiled code (tsc copies only what
 * it compiles). `npm run build` and the e2e specs' build both run this, so every build has them.
 */
export const STATIC_ASSET_DIRS = ['src/playground/public'];

export function copyStaticAssets(root: string, outDir: string): void {
  for (const dir of STATIC_ASSET_DIRS) {
    cpSync(join(root, dir), join(outDir, dir), { recursive: true });
  }
}

if (require.main === module) {
  const root = resolve(__dirname, '..');
  copyStaticAssets(root, resolve(root, process.argv[2] ?? 'dist'));
}
