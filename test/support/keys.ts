import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { built, ROOT } from './paths';

/** Helpers for the key, auth and revocation specs. */

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

/** One request to a gateway; the key goes in X-API-Key, or as a bearer token when `bearer`. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; bearer?: boolean; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) {
    headers[options.bearer ? 'authorization' : 'x-api-key'] = options.bearer
      ? `Bearer ${options.key}`
      : options.key;
  }
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled keys CLI (`npm run keys`) against `databaseUrl`. */
export function runKeysCli(databaseUrl: string, args: string[]): Promise<CliResult> {
  return runNode(built('src', 'cli', 'keys.js'), args, { DATABASE_URL: databaseUrl });
}

/** `node <file> ...args` with the checkout's node_modules and a minimal environment. */
export function runNode(file: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [file, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_PATH: join(ROOT, 'node_modules'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A new admin key made with the CLI, for a spec to start from. */
export async function createAdminKeyWithCli(databaseUrl: string, name = 'e2e admin'): Promise<string> {
  const result = await runKeysCli(databaseUrl, [
    'create',
    '--name',
    name,
    '--tier',
    'enterprise',
    '--scopes',
    'ocr,admin',
  ]);
  if (result.code !== 0) {
    throw new Error(`keys create failed (${result.code}): ${result.stderr}`);
  }
  return result.stdout.trim();
}

export function idOf(plaintext: string): string {
  return plaintext.split('_')[1];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
