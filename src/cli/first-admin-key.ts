import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from '../config/app-config';

/**
 * The first admin key, created by `npm start` on an empty database, is shown once. On a terminal
 * it is printed; otherwise (a log file, a process manager's journal) it would stay in that log, so
 * it goes to a file readable by its owner only, beside the data, and only the path is logged.
 */

export function firstAdminKeyFile(config: AppConfig): string {
  return join(dirname(config.database.embedded.dir), 'first-admin-key');
}

/** Writes `key` to `file` with mode 600; a file left by an earlier installation is replaced. */
export function writeFirstAdminKey(file: string, key: string): void {
  rmSync(file, { force: true });
  // 'wx' creates the file anew: never through a link or a file that someone else put there.
  writeFileSync(file, `${key}\n`, { flag: 'wx', mode: 0o600 });
}

const RULE = '='.repeat(78);

export function firstAdminKeyBanner(key: string): string {
  return [
    '',
    RULE,
    '  First start: an admin API key was created. It is shown ONLY NOW, never again:',
    '',
    `    ${key}`,
    '',
    '  Store it in a password manager. Send it as `X-API-Key` to manage keys',
    '  (POST /admin/v1/keys, see /docs), or use `npm run keys -- create ...`.',
    RULE,
    '',
    '',
  ].join('\n');
}

/** Off a terminal: the one log line that says where the key is (the file, in its `file` field). */
export const FIRST_ADMIN_KEY_FILE_NOTICE =
  'First start: an admin API key was created and written, readable by you only, to the file named here. ' +
  'Store it in a password manager, then delete that file. Send it as X-API-Key to manage keys ' +
  '(POST /admin/v1/keys, see /docs), or use `npm run keys -- create ...`.';
