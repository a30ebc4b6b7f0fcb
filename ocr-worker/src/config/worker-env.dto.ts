import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDivisibleBy,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IMAGE_PIXELS,
  DEFAULT_PDF_MAX_PAGES,
  MAX_BODY_BYTES_RANGE,
  MAX_IMAGE_PIXELS_RANGE,
  PDF_MAX_PAGES_RANGE,
  toBoolean,
  toLowerCase,
  NATS_URL_MESSAGE,
  NATS_URL_PATTERN,
  toNumber,
} from '@app/config';
import { WORKER_TRANSPORTS, type WorkerTransportKind } from '@app/contracts';

export const OCR_DEVICES = ['auto', 'cpu', 'cuda'] as const;
export type OcrDevice = (typeof OCR_DEVICES)[number];

/** The gateway's (pino) level names, and Nest's two others (`log`, `verbose`). */
export const WORKER_LOG_LEVELS = [
  'silent',
  'fatal',
  'error',
  'warn',
  'info',
  'log',
  'debug',
  'trace',
  'verbose',
] as const;
export type WorkerLogLevel = (typeof WORKER_LOG_LEVELS)[number];

/** `auto`, in any case, or a number. */
function toAutoOrNumber(params: { value: unknown }): unknown {
  return toLowerCase(params) === 'auto' ? 'auto' : toNumber(params);
}

const notAuto = (field: 'OCR_LANES' | 'OCR_INTRA_OP_THREADS') => (env: WorkerEnvironment) =>
  env[field] !== 'auto';

/**
 * The environment variables the worker reads, with their defaults; the same transforms as the
 * gateway's (`@app/config`) for what both read. Validated once by `loadWorkerConfig`.
 */
export class WorkerEnvironment {
  /** `tcp`: listen on WORKER_HOST:WORKER_PORT; `nats`: join the workers' queue group on NATS_URL. */
  @Transform(toLowerCase)
  @IsIn(WORKER_TRANSPORTS, { message: `WORKER_TRANSPORT must be one of ${WORKER_TRANSPORTS.join(', ')}` })
  WORKER_TRANSPORT: WorkerTransportKind = 'tcp';

  /** The NATS server(s) for WORKER_TRANSPORT=nats: nats:// or tls:// URLs, comma-separated. */
  @Matches(NATS_URL_PATTERN, { message: NATS_URL_MESSAGE })
  NATS_URL = 'nats://127.0.0.1:4222';

  @Matches(/^[A-Za-z0-9.:[\]-]+$/, { message: 'WORKER_HOST must be a host name or an IP address' })
  WORKER_HOST = '127.0.0.1';

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_PORT = 5003;

  @IsOptional()
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_METRICS_PORT?: number;

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(100_000)
  WORKER_MAX_QUEUE = 64;

  @Transform(toAutoOrNumber)
  @ValidateIf(notAuto('OCR_LANES'))
  @IsInt()
  @Min(1)
  @Max(64)
  OCR_LANES: number | 'auto' = 'auto';

  @Transform(toAutoOrNumber)
  @ValidateIf(notAuto('OCR_INTRA_OP_THREADS'))
  @IsInt()
  @Min(1)
  @Max(256)
  OCR_INTRA_OP_THREADS: number | 'auto' = 'auto';

  @Transform(toLowerCase)
  @IsIn(OCR_DEVICES, { message: `OCR_DEVICE must be one of ${OCR_DEVICES.join(', ')}` })
  OCR_DEVICE: OcrDevice = 'auto';

  /** Model paths: checked to exist by loadWorkerConfig, which never echoes them. */
  @IsOptional()
  @IsString()
  MODEL_DIR?: string;

  @IsOptional()
  @IsString()
  DET_MODEL_PATH?: string;

  @IsOptional()
  @IsString()
  REC_MODEL_PATH?: string;

  @IsOptional()
  @IsString()
  CLS_MODEL_PATH?: string;

  @IsOptional()
  @IsString()
  DICT_PATH?: string;

  @Transform(toBoolean)
  @IsBoolean()
  OPTIMIZE_MODELS = true;

  @IsString()
  MODEL_CACHE_DIR = 'data/model-cache';

  @Transform(toNumber)
  @IsInt()
  @Min(32)
  @Max(4096)
  @IsDivisibleBy(32, { message: 'DET_LIMIT_SIDE_LEN must be a multiple of 32' })
  DET_LIMIT_SIDE_LEN = 960;

  @Transform(toBoolean)
  @IsBoolean()
  USE_ANGLE_CLS = true;

  /** Line crops per recognizer run (PaddleOCR's rec_batch_num); 1 measured fastest on the CPU (docs/BENCHMARKS.md). */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(64)
  OCR_REC_BATCH = 1;

  @Transform(toNumber)
  @IsInt()
  @Min(MAX_IMAGE_PIXELS_RANGE.min)
  @Max(MAX_IMAGE_PIXELS_RANGE.max)
  MAX_IMAGE_PIXELS = DEFAULT_MAX_IMAGE_PIXELS;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(100_000_000_000)
  WORKER_MAX_INFLIGHT_PIXELS = DEFAULT_MAX_IMAGE_PIXELS;

  /** PDF pages are rendered at this resolution (lowered for a page that would exceed MAX_IMAGE_PIXELS). */
  @Transform(toNumber)
  @IsInt()
  @Min(72)
  @Max(600)
  PDF_RENDER_DPI = 200;

  @Transform(toNumber)
  @IsInt()
  @Min(PDF_MAX_PAGES_RANGE.min)
  @Max(PDF_MAX_PAGES_RANGE.max)
  PDF_MAX_PAGES = DEFAULT_PDF_MAX_PAGES;

  @Transform(toNumber)
  @IsInt()
  @Min(MAX_BODY_BYTES_RANGE.min)
  @Max(MAX_BODY_BYTES_RANGE.max)
  MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES;

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(600_000)
  WORKER_SHUTDOWN_GRACE_MS = 10_000;

  @Transform(toLowerCase)
  @IsIn(WORKER_LOG_LEVELS, { message: `LOG_LEVEL must be one of ${WORKER_LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: WorkerLogLevel = 'info';
}
