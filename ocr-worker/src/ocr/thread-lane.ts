import { Worker } from 'node:worker_threads';
import type { LoggerService, LogLevel } from '@nestjs/common';
import type { DeviceKind, InferenceLane, LaneOutput, LaneTask } from './inference-lane';
import type { FromLane, LaneWorkerData, ToLane } from './lane-protocol';
import { isWorkerErrorCode } from '@app/contracts';
import { WorkerError, WorkerErrors } from '../common/errors/worker-error';

export interface ThreadLaneOptions {
  id: number;
  /** The compiled lane entry (`lane.worker.js`), or source text when `evalScript` is set. */
  script: string;
  evalScript?: boolean;
  workerData: LaneWorkerData;
  logger: LoggerService;
  /** Loading and optimising the models takes seconds; a lane silent for longer than this is stuck. */
  startTimeoutMs?: number;
  /** How long `close()` lets the thread release its sessions before terminating it. */
  closeTimeoutMs?: number;
}

interface PendingRun {
  jobId: number;
  resolve(output: LaneOutput): void;
  reject(error: WorkerError): void;
}

/**
 * An inference lane in its own worker thread with its own engine. onnxruntime's `session.run`
 * blocks the thread that calls it, so running it here keeps the TCP server, health answers and
 * deadline timers on the main thread responsive.
 */
export class ThreadLane implements InferenceLane {
  readonly exited: Promise<{ crashed: boolean }>;
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;
  private resolveExited!: (outcome: { crashed: boolean }) => void;
  private pending?: PendingRun;
  private nextJobId = 1;
  private closing = false;
  private laneDevice: DeviceKind = 'cpu';
  private laneModel = 'unknown';
  alive = true;

  private constructor(private readonly options: ThreadLaneOptions) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.worker = new Worker(options.script, {
      eval: options.evalScript ?? false,
      workerData: options.workerData,
    });
    this.worker.on('message', (message: FromLane) => this.onMessage(message));
    this.worker.on('error', (error) => {
      this.options.logger.error({ lane: this.id, err: error }, 'inference lane crashed');
    });
    this.worker.on('exit', (code) => this.onExit(code));
  }

  /** Starts a thread and resolves once its engine has loaded. */
  static async start(options: ThreadLaneOptions): Promise<ThreadLane> {
    const lane = new ThreadLane(options);
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the lane did not load its models within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([lane.ready, stuck]);
      return lane;
    } catch (error) {
      await lane.worker.terminate();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  get id(): number {
    return this.options.id;
  }

  get device(): DeviceKind {
    return this.laneDevice;
  }

  get model(): string {
    return this.laneModel;
  }

  run(task: LaneTask): Promise<LaneOutput> {
    if (!this.alive) {
      return Promise.reject(WorkerErrors.laneCrashed());
    }
    if (this.pending) {
      return Promise.reject(WorkerErrors.internal());
    }
    const jobId = this.nextJobId++;
    return new Promise<LaneOutput>((resolve, reject) => {
      this.pending = { jobId, resolve, reject };
      const message: ToLane = {
        type: 'recognize',
        jobId,
        requestId: task.requestId,
        image: task.image,
        mode: task.mode,
      };
      this.worker.postMessage(message, [task.image]);
    });
  }

  async close(): Promise<void> {
    if (!this.alive) {
      return;
    }
    this.closing = true;
    const message: ToLane = { type: 'close' };
    this.worker.postMessage(message);
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      this.exited.then(() => true),
      new Promise<false>(
        (resolve) => (timer = setTimeout(() => resolve(false), this.options.closeTimeoutMs ?? 5_000)),
      ),
    ]);
    clearTimeout(timer);
    if (!gone) {
      await this.worker.terminate();
    }
  }

  async abort(): Promise<void> {
    if (this.alive) {
      await this.worker.terminate();
    }
  }

  private onMessage(message: FromLane): void {
    switch (message.type) {
      case 'ready':
        this.laneDevice = message.device;
        this.laneModel = message.model;
        this.resolveReady();
        return;
      case 'startFailed':
        this.rejectReady(new Error(message.message));
        return;
      case 'result':
        this.finish(message.jobId)?.resolve(message.output);
        return;
      case 'failed':
        this.finish(message.jobId)?.reject(laneFailure(message));
        return;
      case 'log':
        this.log(message.level, message.message);
        return;
    }
  }

  private finish(jobId: number): PendingRun | undefined {
    const pending = this.pending;
    if (pending?.jobId !== jobId) {
      return undefined;
    }
    this.pending = undefined;
    return pending;
  }

  private onExit(code: number): void {
    // Marked dead before the pending run is rejected, so the scheduler never reuses this lane.
    this.alive = false;
    const crashed = !this.closing;
    this.rejectReady(new Error(`the lane thread exited with code ${code} while loading its models`));
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(crashed ? WorkerErrors.laneCrashed() : WorkerErrors.interrupted());
    this.resolveExited({ crashed });
  }

  private log(level: LogLevel, message: string): void {
    const logger = this.options.logger;
    (logger[level] ?? logger.log).call(logger, { lane: this.id }, message);
  }
}

/**
 * The WorkerError a lane thread reported: a refusal of the image as it was thrown there; any
 * other failure as internal_error, caused by what the thread said of it (an Error does not keep
 * its class across threads).
 */
function laneFailure({ code, message, cause }: Extract<FromLane, { type: 'failed' }>): WorkerError {
  if (isWorkerErrorCode(code) && code !== 'internal_error') {
    return new WorkerError(code, message);
  }
  return WorkerErrors.internal(new Error(cause ?? message));
}
