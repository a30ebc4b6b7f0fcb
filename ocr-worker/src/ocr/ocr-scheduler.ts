import type { LoggerService } from '@nestjs/common';
import type { WorkerHealth } from '@app/contracts';
import type { DeviceKind, InferenceLane, LaneFactory, LaneOutput, LaneTask } from './inference-lane';
import { WorkerError, WorkerErrors } from '../common/errors/worker-error';

export interface SchedulerOptions {
  /** Jobs allowed to wait while every lane is busy. */
  maxQueue: number;
  createLane: LaneFactory;
  /** How many lanes to run, decided once the first lane reports the device it got. */
  laneCount: (device: DeviceKind) => number;
  logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;
  now?: () => number;
  /** Delays before successive attempts to replace a lane; the last one repeats. */
  respawnDelaysMs?: readonly number[];
  /**
   * How long a job may keep running past its deadline, when nobody waits for it any more, before
   * its lane is stopped and replaced: a pathological image must not hold a lane forever.
   */
  overrunGraceMs?: number;
  /**
   * Decoded pixels allowed in flight across the lanes: an image's working memory grows with its
   * pixels, so large scans take turns while small images share the lanes. One job always runs.
   */
  maxInflightPixels?: number;
}

export interface ScheduledResult {
  output: LaneOutput;
  queueMs: number;
  device: DeviceKind;
  model: string;
}

interface Job {
  task: LaneTask;
  signal?: AbortSignal;
  onAbort?: () => void;
  pixels: number;
  deadline: number;
  enqueuedAt: number;
  settled: boolean;
  timer?: NodeJS.Timeout;
  resolve(result: ScheduledResult): void;
  reject(error: WorkerError): void;
}

const DEFAULT_RESPAWN_DELAYS_MS = [0, 1_000, 5_000, 30_000];
const DEFAULT_OVERRUN_GRACE_MS = 10_000;
/** Node fires longer timers at once; a deadline that far away is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function later(callback: () => void, delayMs: number): NodeJS.Timeout {
  return setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
}

/**
 * A bounded queue in front of a pool of inference lanes. A job runs on the first idle lane; when
 * none is idle it waits, unless the queue is full (refused at once) or its deadline passes first
 * (dropped unstarted). A lane that dies fails its job and is replaced; the process stays up.
 */
export class OcrScheduler {
  private readonly live = new Set<InferenceLane>();
  private readonly idle: InferenceLane[] = [];
  private readonly busy = new Map<InferenceLane, Job>();
  private readonly queue: Job[] = [];
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly respawnDelaysMs: readonly number[];
  private identity?: { device: DeviceKind; model: string };
  private nextLaneId = 0;
  private respawnFailures = 0;
  private inflightPixels = 0;
  private draining = false;
  private closed = false;
  private quiet?: () => void;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.respawnDelaysMs = options.respawnDelaysMs ?? DEFAULT_RESPAWN_DELAYS_MS;
  }

  /** Starts the lanes; fails when the first one cannot start (a bad model or device is fatal at boot). */
  async start(): Promise<void> {
    const first = await this.options.createLane(this.nextLaneId++);
    this.identity = { device: first.device, model: first.model };
    const target = Math.max(1, this.options.laneCount(first.device));
    this.adopt(first);
    const others = await Promise.allSettled(
      Array.from({ length: target - 1 }, () => this.options.createLane(this.nextLaneId++)),
    );
    for (const started of others) {
      if (started.status === 'fulfilled') {
        this.adopt(started.value);
      } else {
        const err: unknown = started.reason;
        this.options.logger.error({ err }, 'an inference lane failed to start');
        this.scheduleRespawn();
      }
    }
  }

  /**
   * `pixels`: the image's declared size, 0 when unknown or when the engine will refuse it unread.
   * `signal`: aborted when nobody waits for the answer any more (the caller's connection closed, or
   * it cancelled); a job still queued then is dropped unstarted, one already running finishes.
   */
  submit(task: LaneTask, deadline: number, pixels = 0, signal?: AbortSignal): Promise<ScheduledResult> {
    if (this.draining || this.closed) {
      return Promise.reject(WorkerErrors.shuttingDown());
    }
    if (signal?.aborted) {
      return Promise.reject(WorkerErrors.cancelled());
    }
    const now = this.now();
    if (deadline <= now) {
      return Promise.reject(WorkerErrors.timeout());
    }
    // Arrival order is kept: a job never overtakes one that waits for memory.
    const lane = this.queue.length === 0 && this.fits(pixels) ? this.takeIdleLane() : undefined;
    if (!lane && this.queue.length >= this.options.maxQueue) {
      return Promise.reject(WorkerErrors.overloaded());
    }
    return new Promise<ScheduledResult>((resolve, reject) => {
      const job: Job = { task, signal, pixels, deadline, enqueuedAt: now, settled: false, resolve, reject };
      if (lane) {
        this.dispatch(lane, job);
        return;
      }
      job.timer = later(() => this.drop(job, WorkerErrors.timeout()), deadline - now);
      if (signal) {
        job.onAbort = () => this.drop(job, WorkerErrors.cancelled());
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
    });
  }

  health(): WorkerHealth {
    return {
      status: 'ok',
      device: this.identity?.device ?? 'cpu',
      model: this.identity?.model ?? 'unknown',
      lanes: this.live.size,
      queueDepth: this.queue.length,
      inFlight: this.busy.size,
      maxQueue: this.options.maxQueue,
    };
  }

  /**
   * Refuses new jobs, lets accepted ones finish for up to `graceMs`, fails whatever is left,
   * then stops the lanes.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.queue.length > 0 || this.busy.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.quiet = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.quiet = undefined;
    for (const job of this.queue.splice(0)) {
      this.settle(job, WorkerErrors.shuttingDown());
    }
    for (const job of this.busy.values()) {
      this.settle(job, WorkerErrors.interrupted());
    }
    await this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.respawnTimers.forEach((timer) => clearTimeout(timer));
    this.respawnTimers.clear();
    for (const job of this.queue.splice(0)) {
      this.settle(job, WorkerErrors.shuttingDown());
    }
    const lanes = [...this.live];
    this.live.clear();
    this.idle.length = 0;
    await Promise.all(lanes.map((lane) => lane.close()));
  }

  private adopt(lane: InferenceLane): void {
    if (this.closed) {
      void lane.close();
      return;
    }
    this.live.add(lane);
    this.idle.push(lane);
    void lane.exited.then(({ crashed }) => this.onLaneExit(lane, crashed));
    this.pump();
  }

  private onLaneExit(lane: InferenceLane, crashed: boolean): void {
    const known = this.live.delete(lane);
    const idleAt = this.idle.indexOf(lane);
    if (idleAt >= 0) {
      this.idle.splice(idleAt, 1);
    }
    if (known && crashed && !this.closed) {
      this.options.logger.warn(
        { lane: lane.id },
        'inference lane stopped unexpectedly; starting a replacement',
      );
      this.scheduleRespawn();
    }
  }

  private scheduleRespawn(): void {
    if (this.closed) {
      return;
    }
    const delays = this.respawnDelaysMs;
    const delay = delays[Math.min(this.respawnFailures, delays.length - 1)] ?? 0;
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      this.options.createLane(this.nextLaneId++).then(
        (lane) => {
          this.respawnFailures = 0;
          this.adopt(lane);
        },
        (error: unknown) => {
          this.respawnFailures += 1;
          this.options.logger.error({ err: error }, 'a replacement inference lane failed to start');
          this.scheduleRespawn();
        },
      );
    }, delay);
    this.respawnTimers.add(timer);
  }

  private fits(pixels: number): boolean {
    const budget = this.options.maxInflightPixels ?? Number.POSITIVE_INFINITY;
    return this.busy.size === 0 || this.inflightPixels + pixels <= budget;
  }

  private takeIdleLane(): InferenceLane | undefined {
    let lane = this.idle.shift();
    while (lane && !lane.alive) {
      lane = this.idle.shift();
    }
    return lane;
  }

  private dispatch(lane: InferenceLane, job: Job): void {
    clearTimeout(job.timer);
    this.unwatch(job);
    this.busy.set(lane, job);
    this.inflightPixels += job.pixels;
    const now = this.now();
    const queueMs = now - job.enqueuedAt;
    job.timer = later(
      () => this.overrun(lane, job),
      job.deadline - now + (this.options.overrunGraceMs ?? DEFAULT_OVERRUN_GRACE_MS),
    );
    lane
      .run(job.task)
      .then(
        (output) => {
          if (!job.settled) {
            job.settled = true;
            job.resolve({ output, queueMs, device: lane.device, model: lane.model });
          }
        },
        (error: unknown) => this.settle(job, WorkerError.from(error)),
      )
      .finally(() => {
        clearTimeout(job.timer);
        this.busy.delete(lane);
        this.inflightPixels -= job.pixels;
        if (this.live.has(lane) && lane.alive) {
          this.idle.push(lane);
        }
        this.pump();
      });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const job = this.queue[0];
      if (job.deadline <= this.now()) {
        this.queue.shift();
        this.settle(job, WorkerErrors.timeout());
        continue;
      }
      const lane = this.fits(job.pixels) ? this.takeIdleLane() : undefined;
      if (!lane) {
        break;
      }
      this.queue.shift();
      this.dispatch(lane, job);
    }
    if (this.quiet && this.queue.length === 0 && this.busy.size === 0) {
      this.quiet();
    }
  }

  private overrun(lane: InferenceLane, job: Job): void {
    if (this.busy.get(lane) !== job) {
      return;
    }
    this.options.logger.warn(
      { requestId: job.task.requestId, lane: lane.id },
      'still running well past its deadline; replacing the lane',
    );
    this.settle(job, WorkerErrors.overran());
    void lane.abort();
  }

  /** A queued job whose deadline passed or whose caller left: it leaves the queue unstarted. */
  private drop(job: Job, error: WorkerError): void {
    const at = this.queue.indexOf(job);
    if (at >= 0) {
      this.queue.splice(at, 1);
      this.settle(job, error);
      this.pump();
    }
  }

  private unwatch(job: Job): void {
    if (job.onAbort) {
      job.signal?.removeEventListener('abort', job.onAbort);
      job.onAbort = undefined;
    }
  }

  private settle(job: Job, error: WorkerError): void {
    clearTimeout(job.timer);
    this.unwatch(job);
    if (!job.settled) {
      job.settled = true;
      job.reject(error);
    }
  }
}
