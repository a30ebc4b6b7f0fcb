import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { ProcessLogLevel } from '@app/logging';

export const OCR_DEVICES = ['auto', 'cpu', 'cuda'] as const;
export type OcrDevice = (typeof OCR_DEVICES)[number];

/** Model files; each unset one falls back to MODEL_DIR, then to the bundled PP-OCRv4 models. */
export interface ModelPaths {
  modelDir?: string;
  detModelPath?: string;
  recModelPath?: string;
  clsModelPath?: string;
  dictPath?: string;
}

export interface WorkerConfig {
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
  maxImagePixels: number;
  /** Decoded pixels in flight across the lanes: bounds the memory that large scans take together. */
  maxInflightPixels: number;
  /** The largest TCP frame the transport accepts, in characters: MAX_BODY_BYTES as base64 plus room. */
  maxBufferSize: number;
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

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** The JSON envelope around the base64 image (pattern, request id, mode, deadline, packet id). */
const FRAME_ENVELOPE_CHARS = 64 * 1024;

/** The gateway's (pino) level names, and Nest's two others, to the pino level they mean. */
const LOG_LEVELS: Record<string, ProcessLogLevel> = {
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

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Plain or scientific notation ('40e6'), as the gateway reads the variables both apps share. */
function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) {
    return fallback;
  }
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new WorkerConfigError(name, `must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

function optionalPort(env: Env, name: string): number | undefined {
  return raw(env, name) === undefined ? undefined : integer(env, name, 0, 1, 65535);
}

function integerOrAuto(env: Env, name: string, max: number): number | 'auto' {
  return raw(env, name)?.toLowerCase() === 'auto' || raw(env, name) === undefined
    ? 'auto'
    : integer(env, name, 1, 1, max);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) {
    return fallback;
  }
  if (['1', 'true', 'yes', 'on'].includes(value)) {
    return true;
  }
  if (['0', 'false', 'no', 'off'].includes(value)) {
    return false;
  }
  throw new WorkerConfigError(name, 'must be true or false');
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) {
    return fallback;
  }
  const match = allowed.find((option) => option === value);
  if (!match) {
    throw new WorkerConfigError(name, `must be one of ${allowed.join(', ')}`);
  }
  return match;
}

function existing(env: Env, name: string, kind: 'file' | 'directory'): string | undefined {
  const value = raw(env, name);
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
function directory(env: Env, name: string, fallback: string): string {
  const value = resolve(raw(env, name) ?? fallback);
  if (existsSync(value) && !statSync(value).isDirectory()) {
    throw new WorkerConfigError(name, 'must name a directory');
  }
  return value;
}

function host(env: Env): string {
  const value = raw(env, 'WORKER_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(value)) {
    throw new WorkerConfigError('WORKER_HOST', 'must be a host name or an IP address');
  }
  return value;
}

/** Reads and checks the worker's environment once, at boot. The only reader of `process.env`. */
export function loadWorkerConfig(env: Env = process.env, cores = availableParallelism()): WorkerConfig {
  const maxBodyBytes = integer(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024, 1024 * 1024 * 1024);
  const detLimitSideLen = integer(env, 'DET_LIMIT_SIDE_LEN', 960, 32, 4096);
  if (detLimitSideLen % 32 !== 0) {
    throw new WorkerConfigError('DET_LIMIT_SIDE_LEN', 'must be a multiple of 32');
  }
  const logLevel = oneOf(env, 'LOG_LEVEL', Object.keys(LOG_LEVELS), 'info');
  const port = integer(env, 'WORKER_PORT', 5003, 1, 65535);
  const metricsPort = optionalPort(env, 'WORKER_METRICS_PORT');
  if (metricsPort === port) {
    throw new WorkerConfigError('WORKER_METRICS_PORT', 'must differ from WORKER_PORT');
  }
  return {
    host: host(env),
    port,
    metricsPort,
    maxQueue: integer(env, 'WORKER_MAX_QUEUE', 64, 0, 100_000),
    lanes: integerOrAuto(env, 'OCR_LANES', 64),
    intraOpThreads: integerOrAuto(env, 'OCR_INTRA_OP_THREADS', 256),
    device: oneOf(env, 'OCR_DEVICE', OCR_DEVICES, 'auto'),
    models: {
      modelDir: existing(env, 'MODEL_DIR', 'directory'),
      detModelPath: existing(env, 'DET_MODEL_PATH', 'file'),
      recModelPath: existing(env, 'REC_MODEL_PATH', 'file'),
      clsModelPath: existing(env, 'CLS_MODEL_PATH', 'file'),
      dictPath: existing(env, 'DICT_PATH', 'file'),
    },
    optimizedModelDir: boolean(env, 'OPTIMIZE_MODELS', true)
      ? directory(env, 'MODEL_CACHE_DIR', 'data/model-cache')
      : undefined,
    detLimitSideLen,
    useAngleCls: boolean(env, 'USE_ANGLE_CLS', true),
    maxImagePixels: integer(env, 'MAX_IMAGE_PIXELS', 40_000_000, 1, 1_000_000_000),
    maxInflightPixels: integer(env, 'WORKER_MAX_INFLIGHT_PIXELS', 40_000_000, 1, 100_000_000_000),
    maxBufferSize: Math.ceil(maxBodyBytes / 3) * 4 + FRAME_ENVELOPE_CHARS,
    shutdownGraceMs: integer(env, 'WORKER_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    logLevel: LOG_LEVELS[logLevel],
    cores,
  };
}
