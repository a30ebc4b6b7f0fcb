import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { ClusterMetricsPrimary } from './cluster-metrics';

/** Exit status of a process that refused its configuration: restarting it cannot help. */
export const EX_CONFIG = 78;
/** A process that served this long before it died was healthy: its restart starts the backoff afresh. */
export const STABLE_AFTER_MS = 10_000;
/** Deaths in a row, each before its process was stable, at which the primary gives up. */
export const MAX_UNSTABLE_EXITS = 5;
const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 10_000;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** The wait before restarting a process after `unstableExits` deaths in a row (1 for the first). */
export function restartDelayMs(unstableExits: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, unstableExits - 1));
}

/**
 * The primary of GATEWAY_PROCESSES > 1: forks that many gateway processes, each a whole Nest
 * application on the same port (Node's cluster module: the primary holds the listening socket and
 * hands connections out in turn), and serves none itself. A process that dies is restarted,
 * soon when it had been serving for a while, with a growing delay when it keeps dying; at
 * MAX_UNSTABLE_EXITS such deaths in a row, or a refused configuration, the primary stops the rest
 * and exits, so that its own supervisor (npm start, systemd) sees the failure. SIGTERM, SIGINT and
 * SIGHUP are passed to every process, each drains as a lone gateway would, and the primary exits
 * 0 once all have exited cleanly.
 *
 * Everything the processes must agree on lives outside them: keys and quotas in PostgreSQL (key
 * changes reach every process through LISTEN/NOTIFY), rate limits in Redis when REDIS_URL is set.
 * GET /metrics on any process answers for all of them (ClusterMetricsPrimary).
 */
export class GatewayCluster {
  private readonly metrics = new ClusterMetricsPrimary();
  /** Live processes (forked, not yet exited), by cluster id; `cluster.workers` keeps a dead one until its IPC closes. */
  private readonly live = new Map<number, Worker>();
  private readonly listeningSince = new Map<number, number>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private unstableExits = 0;
  private stopping?: { signal: NodeJS.Signals; exitCode: number };

  constructor(
    private readonly config: AppConfig,
    private readonly log: Logger,
  ) {}

  start(): void {
    const { processes, port, host } = this.config.http;
    if (this.config.redis.url === undefined) {
      this.log.warn(
        { processes },
        'GATEWAY_PROCESSES is above 1 without REDIS_URL: each process keeps its own rate-limit buckets (per key and per address), so clients get up to that many times their limits; set REDIS_URL for exact limits',
      );
    }
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => this.stop(signal, 0));
    }
    cluster.on('listening', (worker) => this.listening(worker));
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal as NodeJS.Signals | null));
    cluster.on('message', (worker, message) => this.metrics.onMessage(worker, message));
    this.log.info({ processes, host, port }, 'starting gateway processes');
    for (let index = 0; index < processes; index += 1) {
      this.fork();
    }
  }

  private fork(): void {
    const worker = cluster.fork();
    this.live.set(worker.id, worker);
  }

  private listening(worker: Worker): void {
    this.listeningSince.set(worker.id, Date.now());
    this.metrics.listening(worker);
    this.log.info(
      { gatewayPid: worker.process.pid, serving: this.listeningSince.size },
      'gateway process listening',
    );
  }

  private exited(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const since = this.listeningSince.get(worker.id);
    this.live.delete(worker.id);
    this.listeningSince.delete(worker.id);
    this.metrics.exited(worker);
    const how = { gatewayPid: worker.process.pid, code, signal };
    if (this.stopping) {
      // A drained process exits 0 (graceful-stop.ts); one still starting dies of the signal itself.
      const clean = code === 0 || signal === this.stopping.signal;
      if (!clean && this.stopping.exitCode === 0) {
        this.stopping.exitCode = 1;
      }
      this.log[clean ? 'info' : 'warn'](how, 'gateway process stopped');
      this.exitWhenAllStopped();
      return;
    }
    if (code === EX_CONFIG) {
      this.log.error(how, 'a gateway process refused its configuration; stopping');
      this.stop('SIGTERM', EX_CONFIG);
      return;
    }
    const stable = since !== undefined && Date.now() - since >= STABLE_AFTER_MS;
    this.unstableExits = stable ? 1 : this.unstableExits + 1;
    if (this.unstableExits >= MAX_UNSTABLE_EXITS) {
      this.log.error(
        how,
        `gateway processes died ${MAX_UNSTABLE_EXITS} times in a row, each within ${STABLE_AFTER_MS / 1000} s of its start; stopping`,
      );
      this.stop('SIGTERM', 1);
      return;
    }
    const delayMs = restartDelayMs(this.unstableExits);
    this.metrics.restarted();
    this.log.warn({ ...how, restartInMs: delayMs }, 'gateway process died; restarting it');
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (!this.stopping) {
        this.fork();
      }
    }, delayMs);
    this.restartTimers.add(timer);
  }

  /** `exitCode`: the primary's status once all have stopped, unless one of them does not stop cleanly. */
  private stop(signal: NodeJS.Signals, exitCode: number): void {
    if (this.stopping) {
      return; // a terminal's Ctrl-C reaches every process of its group: each drains once
    }
    this.stopping = { signal, exitCode };
    this.restartTimers.forEach(clearTimeout);
    this.restartTimers.clear();
    this.log.info({ signal, processes: this.live.size }, 'stopping gateway processes');
    for (const worker of this.live.values()) {
      worker.process.kill(signal);
    }
    this.exitWhenAllStopped();
  }

  private exitWhenAllStopped(): void {
    if (!this.stopping || this.live.size > 0) {
      return;
    }
    const code = this.stopping.exitCode;
    this.log.info({ code }, 'gateway processes stopped');
    process.exit(code);
  }
}
