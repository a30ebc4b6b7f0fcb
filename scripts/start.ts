import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ensureBootstrapAdminKey } from '../src/cli/keys-context';
import { AppConfig, childEnvironment, ConfigError, loadConfig } from '../src/config';
import { DatabaseHandle, ensureDatabase, runMigrations } from '../src/database';

/**
 * `npm start`: one command for a whole installation. Provides PostgreSQL (DATABASE_URL, else the
 * embedded server under ./data), applies migrations, creates the first admin key on an empty
 * database and prints it once, then runs the OCR worker and the gateway as children, restarting
 * either if it dies. SIGINT/SIGTERM stop the gateway, then the worker, then the embedded server.
 */

const BUILD_ROOT = join(__dirname, '..');
const GATEWAY_ENTRY = join(BUILD_ROOT, 'src', 'main.js');
const WORKER_ENTRY = join(BUILD_ROOT, 'ocr-worker', 'src', 'main.js');

/** Exit status of a child that refused its configuration: restarting cannot help. */
const EX_CONFIG = 78;
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 10_000;
/** A child that ran this long is considered healthy again: its next crash restarts at once. */
const STABLE_AFTER_MS = 30_000;
const STOP_GRACE_MS = 10_000;

function say(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

/** One child process, restarted with a growing delay while the supervisor runs. */
class Supervised {
  private child?: ChildProcess;
  private startedAt = 0;
  private failures = 0;
  private restartTimer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly onFatal: (reason: string) => void,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    const child = spawn(process.execPath, [this.entry], { env: this.env, stdio: 'inherit' });
    this.child = child;
    child.once('error', (error) => this.onFatal(`${this.name} could not be started: ${error.message}`));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child || this.stopping) {
      return;
    }
    this.child = undefined;
    if (code === EX_CONFIG) {
      this.onFatal(`${this.name} refused its configuration (see above)`);
      return;
    }
    this.failures = Date.now() - this.startedAt >= STABLE_AFTER_MS ? 0 : this.failures + 1;
    const delay =
      this.failures === 0
        ? 0
        : Math.min(FIRST_RESTART_DELAY_MS * 2 ** (this.failures - 1), MAX_RESTART_DELAY_MS);
    say(
      `${this.name} exited (${signal ?? `code ${code}`}); restarting${delay > 0 ? ` in ${delay / 1000} s` : ''}`,
    );
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the child is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await gone;
    clearTimeout(killer);
  }

  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.child?.kill('SIGKILL');
  }
}

function printAdminKey(key: string): void {
  const rule = '='.repeat(78);
  process.stdout.write(
    [
      '',
      rule,
      '  First start: an admin API key was created. It is shown ONLY NOW, never again:',
      '',
      `    ${key}`,
      '',
      '  Store it in a password manager. Send it as `X-API-Key` to manage keys',
      '  (POST /admin/v1/keys, see /docs), or use `npm run keys -- create ...`.',
      rule,
      '',
      '',
    ].join('\n'),
  );
}

/** Polls /health until the gateway answers at all (a 503 while the worker loads is an answer). */
async function announceWhenListening(config: AppConfig, gateway: Supervised): Promise<void> {
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
  for (let attempt = 0; attempt < 600; attempt += 1) {
    try {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      say(`${gateway.name} listening on ${base} (API docs: ${base}/docs)`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw error;
  }

  say(
    config.database.url
      ? 'using the database in DATABASE_URL'
      : `using the embedded PostgreSQL on port ${config.database.embedded.port}`,
  );
  const database: DatabaseHandle = await ensureDatabase(config);
  try {
    const applied = await runMigrations(config, database.url);
    say(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
    const adminKey = await ensureBootstrapAdminKey(config);
    if (adminKey !== null) {
      printAdminKey(adminKey);
    }
  } catch (error) {
    await database.stop();
    throw error;
  }

  const env = childEnvironment({ DATABASE_URL: database.url });
  let shuttingDown = false;
  const shutdown = async (exitCode: number): Promise<void> => {
    if (shuttingDown) {
      return;
    }
    shuttingDown = true;
    say('stopping');
    // The gateway first, so no request reaches a worker that is going away.
    await gateway.stop();
    await worker.stop();
    await database.stop();
    say('stopped');
    process.exit(exitCode);
  };
  const fatal = (reason: string): void => {
    say(reason);
    void shutdown(1);
  };
  const worker = new Supervised('worker', WORKER_ENTRY, env, fatal);
  const gateway = new Supervised('gateway', GATEWAY_ENTRY, env, fatal);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      say(`${signal} again: killing everything`);
      gateway.kill();
      worker.kill();
      process.exit(130);
    }
    void shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  worker.start();
  gateway.start();
  await announceWhenListening(config, gateway);
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
