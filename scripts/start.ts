import { connect } from 'node:net';
import { availableParallelism, hostname } from 'node:os';
import { connect as natsConnect } from 'nats';
import { firstValueFrom, timeout } from 'rxjs';
import { isAbsolute, join, relative } from 'node:path';
import { natsCensus } from '@app/contracts';
import { createProcessLogger } from '@app/logging';
import {
  firstAdminKeyBanner,
  firstAdminKeyFile,
  FIRST_ADMIN_KEY_FILE_NOTICE,
  writeFirstAdminKey,
} from '../src/cli/first-admin-key';
import {
  instanceLockFile,
  startRefusal,
  SUPERVISOR_COMMAND,
  waitForInstanceLock,
  type InstanceLock,
} from '../src/cli/instance-lock';
import { ensureBootstrapAdminKey } from '../src/cli/keys-context';
import { nodeChild, Supervised, type StopStep, type SupervisedOptions } from '../src/cli/supervised';
import { AppConfig, childEnvironment, ConfigError, loadConfig } from '../src/config';
import { embeddedServer, runMigrations } from '../src/database';

/**
 * `npm start`: one command for a whole installation. Holds the installation's lock (a second start
 * beside a running one is refused), provides PostgreSQL (DATABASE_URL, else the embedded server
 * under ./data, supervised like the other children), applies migrations, creates the first admin
 * key on an empty database, then runs the OCR worker and the gateway. A child that dies is
 * restarted; one that keeps failing to start ends the supervisor. SIGINT, SIGTERM and SIGHUP stop
 * the gateway first (it drains and writes its last changes), then the worker, then the database.
 *
 * Under `npm start` this process is the shell that ran the npm script (`exec` keeps its pid), so
 * npm's forwarded signals and the lock taken before the build (scripts/start-lock.ts) are its own.
 */

const BUILD_ROOT = join(__dirname, '..');
const GATEWAY_ENTRY = join(BUILD_ROOT, 'src', 'main.js');
const WORKER_ENTRY = join(BUILD_ROOT, 'ocr-worker', 'src', 'main.js');

/** Exit status of a child that refused its configuration: restarting cannot help. */
const EX_CONFIG = 78;
/** Beyond the worker's own WORKER_SHUTDOWN_GRACE_MS (10 s), then SIGKILL. */
const NODE_STOP_STEPS: readonly StopStep[] = [{ signal: 'SIGTERM', waitMs: 15_000 }];
const GATEWAY_READY_TIMEOUT_MS = 120_000;
/** The worker rewrites its models on a first start (MODEL_CACHE_DIR), which takes a while. */
const WORKER_READY_TIMEOUT_MS = 300_000;
/** How long a start waits for a short command (keys, migrate) that holds the lock. */
const LOCK_WAIT_MS = 15_000;
/**
 * A terminal's Ctrl-C reaches this process twice: directly (same process group) and forwarded by
 * npm. A second signal within this window is that copy; a later one means "stop at once".
 */
const SAME_SIGNAL_WINDOW_MS = 1000;

/**
 * The supervisor's few lines (start, ready, restart, stop) are what an operator watches: written
 * at `info` whatever LOG_LEVEL asks of the children, more only when it asks for more. Written
 * before returning, so that they and the first-start notice keep their order.
 */
const log = createProcessLogger({ service: 'supervisor', level: 'info', sync: true });

function say(message: string, fields: Record<string, unknown> = {}): void {
  log.info(fields, message);
}

function warn(message: string, fields: Record<string, unknown> = {}): void {
  log.warn(fields, message);
}

function elapsedMs(sinceMs: number): number {
  return Date.now() - sinceMs;
}

function displayPath(file: string): string {
  const inside = relative(process.cwd(), file);
  return inside.startsWith('..') || isAbsolute(inside) ? file : inside;
}

/** A wildcard bind address is reached on loopback. */
function reachable(host: string): string {
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return local.includes(':') ? `[${local}]` : local;
}

async function httpAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return true; // a 503 while the worker loads is an answer: the gateway listens
  } catch {
    return false;
  }
}

/** WORKER_TRANSPORT=nats: the worker with this pid answers a health census on NATS (it listens on no port). */
async function natsWorkerAnswers(servers: readonly string[], pid: number | undefined): Promise<boolean> {
  if (pid === undefined) {
    return false;
  }
  const nc = await natsConnect({ servers: [...servers], timeout: 2000 });
  try {
    const answers = await firstValueFrom(natsCensus(nc, 100).pipe(timeout(2000)));
    return answers.some((answer) => answer.instance === `${hostname()}:${pid}`);
  } finally {
    await nc.close();
  }
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: reachable(host).replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

interface WorkerPlan {
  name: string;
  host: string;
  port: number;
  env: Record<string, string>;
}

/**
 * OCR_WORKERS workers on WORKER_PORT, WORKER_PORT + 1, …; with more than one, each gets its share
 * of the cores as lanes unless OCR_LANES says otherwise (lanes of several workers on the same
 * cores would only take turns).
 */
function workerPlan(config: AppConfig, env: NodeJS.ProcessEnv): WorkerPlan[] {
  const count = config.worker.startCount;
  const lanes = env.OCR_LANES ?? String(Math.max(1, Math.floor(availableParallelism() / count)));
  const shared: Record<string, string> = count === 1 ? {} : { OCR_LANES: lanes };
  return Array.from({ length: count }, (_, index) => ({
    name: count === 1 ? 'worker' : `worker-${index + 1}`,
    host: config.worker.host,
    port: config.worker.port + index,
    env: shared,
  }));
}

class Supervisor {
  private database?: Supervised;
  private readonly workers: Supervised[] = [];
  private readonly gateways: Supervised[] = [];
  private shuttingDown?: Promise<void>;
  private firstSignalAt?: number;
  private keyNotice?: { banner: string } | { file: string };

  constructor(
    private readonly config: AppConfig,
    private readonly lock: InstanceLock,
  ) {}

  async run(): Promise<void> {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => this.onSignal(signal));
    }
    try {
      const url = await this.startDatabase();
      await this.prepareDatabase(url);
      const env = childEnvironment({ DATABASE_URL: url });
      const workers = workerPlan(this.config, env);
      workers.forEach((plan) => this.workers.push(this.worker(plan, env)));
      // The gateway spreads calls over every worker started here (see src/ocr-worker-client/); on
      // NATS they are the queue group's members, found by the NATS server.
      const gatewayEnv =
        workers.length > 1 && !this.onNats
          ? { ...env, WORKER_URLS: workers.map((plan) => `${plan.host}:${plan.port}`).join(',') }
          : env;
      this.gateways.push(this.gateway(gatewayEnv));
      const base = `http://${reachable(this.config.http.host)}:${this.config.http.port}`;
      await Promise.all([
        ...this.workers.map((worker, index) =>
          this.started(worker, this.onNats ? 'on NATS' : `on ${workers[index].host}:${workers[index].port}`),
        ),
        ...this.gateways.map((gateway) =>
          this.started(gateway, `listening on ${base} (API docs: ${base}/docs)`, 'listening'),
        ),
      ]);
      this.printKeyNotice();
    } catch (error) {
      if (this.shuttingDown) {
        return; // a signal arrived during the start: the stop is under way
      }
      log.error(error instanceof Error ? error.message : String(error));
      await this.shutdown(1);
    }
  }

  private async started(child: Supervised, where: string, verb = 'ready'): Promise<void> {
    const since = Date.now();
    await child.start();
    say(`${child.name} ${verb === 'ready' ? `ready ${where}` : where}`, {
      child: child.name,
      childPid: child.pid,
      startMs: elapsedMs(since),
    });
  }

  private async startDatabase(): Promise<string> {
    if (this.config.database.url) {
      say('using the database in DATABASE_URL');
      return this.config.database.url;
    }
    const { port, dir } = this.config.database.embedded;
    say('using the embedded PostgreSQL', { port, dataDir: displayPath(dir) });
    const { url, server } = await embeddedServer(this.config, this.restarting());
    this.database = server;
    await this.started(server, `on 127.0.0.1:${port}`);
    return url;
  }

  private async prepareDatabase(url: string): Promise<void> {
    const applied = await runMigrations(this.config, url);
    if (applied.length > 0) {
      say(`applied migrations: ${applied.join(', ')}`, { migrations: applied });
    } else {
      say('database schema is up to date');
    }
    const key = await ensureBootstrapAdminKey(this.config);
    if (key === null) {
      return;
    }
    if (process.stdout.isTTY) {
      this.keyNotice = { banner: firstAdminKeyBanner(key) };
      return;
    }
    // Written at once, so the key survives whatever happens next; announced once all is up.
    const file = firstAdminKeyFile(this.config);
    writeFirstAdminKey(file, key);
    this.keyNotice = { file: displayPath(file) };
  }

  /**
   * After the start-up lines, so that they do not scroll it away (the children's own start-up
   * lines are at debug level: nothing follows it until the first request); or on the way out.
   * Not on a terminal, it is one log line naming the file, so that the output stays JSON lines.
   */
  private printKeyNotice(): void {
    if (this.keyNotice === undefined) {
      return;
    }
    if ('banner' in this.keyNotice) {
      process.stdout.write(this.keyNotice.banner);
    } else {
      warn(FIRST_ADMIN_KEY_FILE_NOTICE, { file: this.keyNotice.file });
    }
    this.keyNotice = undefined;
  }

  private restarting(): Pick<SupervisedOptions, 'restart' | 'report' | 'onGiveUp'> {
    return {
      restart: true,
      report: warn,
      onGiveUp: (reason) => {
        log.error(reason);
        void this.shutdown(1);
      },
    };
  }

  private get onNats(): boolean {
    return this.config.worker.transport === 'nats';
  }

  private worker(plan: WorkerPlan, env: NodeJS.ProcessEnv): Supervised {
    const { host, port } = plan;
    // WORKER_TRANSPORT and NATS_URL reach the worker in `env`, as every variable does.
    const own = { ...env, WORKER_PORT: String(port), ...plan.env };
    const servers = this.config.worker.natsServers;
    const child: Supervised = new Supervised({
      ...this.restarting(),
      name: plan.name,
      command: () => nodeChild(WORKER_ENTRY, own),
      endpoints: this.onNats ? [] : [{ host, port }],
      ready: () => (this.onNats ? natsWorkerAnswers(servers, child.pid) : tcpAccepts(host, port)),
      readyTimeoutMs: WORKER_READY_TIMEOUT_MS,
      stopSteps: NODE_STOP_STEPS,
    });
    return child;
  }

  private gateway(env: NodeJS.ProcessEnv): Supervised {
    const { host, port } = this.config.http;
    const health = `http://${reachable(host)}:${port}/health`;
    return new Supervised({
      ...this.restarting(),
      name: 'gateway',
      command: () => nodeChild(GATEWAY_ENTRY, env),
      endpoints: [{ host, port }],
      ready: () => httpAnswers(health),
      readyTimeoutMs: GATEWAY_READY_TIMEOUT_MS,
      stopSteps: NODE_STOP_STEPS,
      configErrorExitCode: EX_CONFIG,
    });
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.firstSignalAt === undefined) {
      this.firstSignalAt = Date.now();
      void this.shutdown(0, signal);
      return;
    }
    if (Date.now() - this.firstSignalAt >= SAME_SIGNAL_WINDOW_MS) {
      void this.forceStop(signal);
    }
  }

  /** The gateways first (no request reaches a worker going away; they write their last changes), then the workers, then the database. */
  shutdown(exitCode: number, signal?: NodeJS.Signals): Promise<void> {
    this.shuttingDown ??= (async () => {
      say(signal ? `${signal}: stopping` : 'stopping', signal ? { signal } : {});
      for (const group of [this.gateways, this.workers, this.database ? [this.database] : []]) {
        await Promise.all(group.map((child) => this.stopOne(child)));
      }
      this.printKeyNotice();
      this.lock.release();
      say('stopped');
      process.exit(exitCode);
    })();
    return this.shuttingDown;
  }

  private async stopOne(child: Supervised): Promise<void> {
    const pid = child.pid;
    const since = Date.now();
    await child.stop();
    if (pid !== undefined) {
      say(`${child.name} stopped`, { child: child.name, childPid: pid, stopMs: elapsedMs(since) });
    }
  }

  private async forceStop(signal: NodeJS.Signals): Promise<void> {
    warn(`${signal} again: stopping everything at once`, { signal });
    const all = [...this.gateways, ...this.workers, ...(this.database ? [this.database] : [])];
    await Promise.all(all.map((child) => child.forceStop()));
    this.lock.release();
    process.exit(130);
  }
}

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      log.fatal(error.message);
      process.exit(EX_CONFIG);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  // A closed terminal (SIGHUP) must not end the supervisor while it stops its children.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const config = loadConfigOrExit();
  if (config.log.level === 'debug' || config.log.level === 'trace') {
    log.level = config.log.level;
  }
  const lockFile = instanceLockFile(config);
  const attempt = await waitForInstanceLock(lockFile, {
    command: SUPERVISOR_COMMAND,
    // Not exec'd by the npm script's shell: that shell took the lock for this start.
    adoptFrom: [process.ppid],
    timeoutMs: LOCK_WAIT_MS,
    retryWhile: (holder) => holder.command !== SUPERVISOR_COMMAND,
  });
  if (!attempt.acquired) {
    log.error(startRefusal(attempt.holder, lockFile, 'started'));
    process.exit(1);
  }
  const { lock } = attempt;
  process.on('exit', () => lock.release());
  await new Supervisor(config, lock).run();
}

main().catch((error: unknown) => {
  log.fatal(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
