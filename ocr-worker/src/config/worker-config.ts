import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { natsServers, validateEnvironment } from '@app/config';
import type { ProcessLogLevel } from '@app/logging';
import { WorkerEnvironment, type OcrDevice, type WorkerLogLevel } from './worker-env.dto';

export { OCR_DEVICES, type OcrDevice } from './worker-env.dto';

/** Model files; each unset one falls back to MODEL_DIR, then to the bundled PP-OCRv4 models. */
export interface ModelPaths {
  modelDir?: string;
  detModelPath?: string;
  recModelPath?: string;
  clsModelPath?: string;
  dictPath?: string;
}

/** Where the worker takes jobs: its own TCP port, or the workers' queue group on NATS. */
export type WorkerTransportConfig = { kind: 'tcp' } | { kind: 'nats'; servers: string[] };

export interface WorkerConfig {
  transport: WorkerTransportConfig;
  /** TCP only: where the worker listens. */
  host: string;
  port: number;
  /** Where GET /metrics answers, on 127.0.0.1 only; undefined (the default): no metrics server. */
  metricsPort?: number;
  /** Jobs allowed to wait for a lane; one more is refused at once with `worker_overloaded`. */
  maxQueue: number;
  /** Inference lanes (worker threads, one engine each); `auto` decides once the device is known. */
  lanes: number | 'auto';
  /** onnxruntime intra-op threads per lane; `auto` decides from the cores and the lane count. */
  intraOpThreads: number | 'auto';
  device: OcrDevice;
  models: ModelPaths;
  /**
   * Where the exactly rewritten (faster) models are cached, or undefined to run the models as
   * shipped. Only the worker's own user may write there: models are loaded from it.
   */
  optimizedModelDir?: string;
  detLimitSideLen: number;
  useAngleCls: boolean;
  /** Line crops per recognizer run, sorted by aspect ratio and padded to the batch's widest; 1: one run per crop. */
  recBatchSize: number;
  maxImagePixels: number;
  /** Decoded pixels in flight across the lanes: bounds the memory that large scans take together. */
  maxInflightPixels: number;
  /** PDF pages: rendered at `renderDpi` (within maxImagePixels), at most `maxPages` read per request. */
  pdf: { renderDpi: number; maxPages: number };
  /** The largest transport frame accepted, in bytes: MAX_BODY_BYTES of image plus room for the JSON. */
  maxFrameBytes: number;
  /** How long a shutdown waits for accepted jobs before failing them. */
  shutdownGraceMs: number;
  logLevel: ProcessLogLevel;
  cores: number;
}

/** A start-up error that names the variable to fix (never its value: it may be a path). */
export class WorkerConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable} ${reason}`);
    this.name = WorkerConfigError.name;
  }
}

type Env = Record<string, string | undefined>;

/** The JSON beside the image's bytes in a frame (pattern, ids, mode, deadline, declared size). */
const FRAME_ENVELOPE_BYTES = 64 * 1024;

/** The worker's level names to the pino level they mean. */
const LOG_LEVELS: Record<WorkerLogLevel, ProcessLogLevel> = {
  silent: 'silent',
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
  trace: 'trace',
  verbose: 'trace',
};

/** A path the operator named must exist as `kind`; the error names the variable, never the path. */
function existing(name: string, value: string | undefined, kind: 'file' | 'directory'): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  const found = existsSync(value) ? statSync(value) : undefined;
  if (!found || (kind === 'file' ? !found.isFile() : !found.isDirectory())) {
    throw new WorkerConfigError(name, `must name an existing ${kind}`);
  }
  return value;
}

/** A directory the worker may create; anything else already at that path is an error. */
function directory(name: string, value: string): string {
  const path = resolve(value);
  if (existsSync(path) && !statSync(path).isDirectory()) {
    throw new WorkerConfigError(name, 'must name a directory');
  }
  return path;
}

/** Reads and checks the worker's environment once, at boot. The only reader of `process.env`. */
export function loadWorkerConfig(env: Env = process.env, cores = availableParallelism()): WorkerConfig {
  const { vars, problems } = validateEnvironment(WorkerEnvironment, env);
  const [problem] = problems;
  if (problem !== undefined) {
    throw new WorkerConfigError(problem.variable, problem.message.slice(problem.variable.length + 1));
  }
  if (vars.WORKER_METRICS_PORT === vars.WORKER_PORT) {
    throw new WorkerConfigError('WORKER_METRICS_PORT', 'must differ from WORKER_PORT');
  }
  return {
    transport:
      vars.WORKER_TRANSPORT === 'nats'
        ? { kind: 'nats', servers: natsServers(vars.NATS_URL) }
        : { kind: 'tcp' },
    host: vars.WORKER_HOST,
    port: vars.WORKER_PORT,
    metricsPort: vars.WORKER_METRICS_PORT,
    maxQueue: vars.WORKER_MAX_QUEUE,
    lanes: vars.OCR_LANES,
    intraOpThreads: vars.OCR_INTRA_OP_THREADS,
    device: vars.OCR_DEVICE,
    models: {
      modelDir: existing('MODEL_DIR', vars.MODEL_DIR, 'directory'),
      detModelPath: existing('DET_MODEL_PATH', vars.DET_MODEL_PATH, 'file'),
      recModelPath: existing('REC_MODEL_PATH', vars.REC_MODEL_PATH, 'file'),
      clsModelPath: existing('CLS_MODEL_PATH', vars.CLS_MODEL_PATH, 'file'),
      dictPath: existing('DICT_PATH', vars.DICT_PATH, 'file'),
    },
    optimizedModelDir: vars.OPTIMIZE_MODELS ? directory('MODEL_CACHE_DIR', vars.MODEL_CACHE_DIR) : undefined,
    detLimitSideLen: vars.DET_LIMIT_SIDE_LEN,
    useAngleCls: vars.USE_ANGLE_CLS,
    recBatchSize: vars.OCR_REC_BATCH,
    maxImagePixels: vars.MAX_IMAGE_PIXELS,
    maxInflightPixels: vars.WORKER_MAX_INFLIGHT_PIXELS,
    pdf: { renderDpi: vars.PDF_RENDER_DPI, maxPages: vars.PDF_MAX_PAGES },
    maxFrameBytes: vars.MAX_BODY_BYTES + FRAME_ENVELOPE_BYTES,
    shutdownGraceMs: vars.WORKER_SHUTDOWN_GRACE_MS,
    logLevel: LOG_LEVELS[vars.LOG_LEVEL],
    cores,
  };
}
