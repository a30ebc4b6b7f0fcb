import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Where the page's files live: beside this module, in the source tree and in the build alike. */
export const PLAYGROUND_PUBLIC_DIR = join(__dirname, 'public');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface PlaygroundAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * The page's files, read once at start: a fixed set served from memory, so a request names a
 * file of that set or gets 404, and never reaches the file system.
 */
export function loadPlaygroundAssets(dir = PLAYGROUND_PUBLIC_DIR): ReadonlyMap<string, PlaygroundAsset> {
  const assets = new Map<string, PlaygroundAsset>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType !== undefined) {
      assets.set(name, { body: readFileSync(join(dir, name)), contentType });
    }
  }
  if (!assets.has('index.html')) {
    throw new Error(`The playground has no index.html in ${dir}: was the build's copy step run?`);
  }
  return assets;
}
