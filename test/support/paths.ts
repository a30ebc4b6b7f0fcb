import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/**
 * Where the e2e specs find the compiled apps. `BUILD_DIR` lets concurrent developers build into
 * separate folders instead of wiping each other's `dist/`.
 */
export const BUILD_DIR = resolve(ROOT, process.env.BUILD_DIR ?? 'dist');

export function built(...parts: string[]): string {
  return join(BUILD_DIR, ...parts);
}
