import { execFileSync } from 'node:child_process';
import { copyStaticAssets } from '../scripts/copy-assets';
import { BUILD_DIR, ROOT } from './support/paths';
import { startTestDatabase } from './support/database';

/**
 * Builds the apps into BUILD_DIR (the e2e specs run real processes from it) and provides a real
 * PostgreSQL server: the one in DATABASE_URL when set, otherwise an embedded one.
 * Each spec file creates its own database from TEST_PG_ADMIN_URL (see support/database.ts).
 */
export default async function globalSetup(): Promise<void> {
  // Jest runs this once per project (e2e, integration) in one process: build and start once.
  const done = globalThis as { __testSetupDone?: boolean };
  if (done.__testSetupDone) {
    return;
  }
  done.__testSetupDone = true;
  if (process.env.E2E_SKIP_BUILD !== '1') {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    execFileSync('npx', ['tsc-alias', '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    copyStaticAssets(ROOT, BUILD_DIR);
  }
  await startTestDatabase();
}
