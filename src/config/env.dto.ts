import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_IMAGE_PIXELS,
  DEFAULT_PDF_MAX_PAGES,
  MAX_BODY_BYTES_RANGE,
  MAX_IMAGE_PIXELS_RANGE,
  PDF_MAX_PAGES_RANGE,
  NATS_URL_MESSAGE,
  NATS_URL_PATTERN,
  toBoolean,
  toLowerCase,
  toNumber,
} from '@app/config';
import { WORKER_TRANSPORTS, type WorkerTransportKind } from '@app/contracts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The environment variables the gateway, the supervisor and the CLIs read, with their defaults.
 * Validated once by `loadConfig`; add a variable here and expose it through `AppConfig`.
 */
export class EnvironmentVariables {
  @IsString()
  HOST = '127.0.0.1';

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 8000;

  /**
   * Gateway processes serving PORT together (Node's cluster module: a primary that forks them and
   * restarts one that dies). Above 1, REDIS_URL makes the rate limits exact across them.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(64)
  GATEWAY_PROCESSES = 1;

  /**
   * On SIGTERM: how long the requests in progress may take to finish before they are cut off;
   * below the supervisor's 15 s and systemd's TimeoutStopSec (20 s).
   */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(600_000)
  GATEWAY_SHUTDOWN_GRACE_MS = 10_000;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /** Time to get a database connection, from the pool or a new one; also the retry period while the database is down. */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(60_000)
  DATABASE_CONNECT_TIMEOUT_MS = 1000;

  /** Postgres's own `statement_timeout` for the gateway's statements. */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 1000;

  /** How long the gateway waits for a statement's answer (a frozen server cannot time itself out). */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_QUERY_TIMEOUT_MS = 1500;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @IsString()
  EMBEDDED_PG_DIR = 'data/postgres';

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** `tcp`: the workers of WORKER_URLS (or WORKER_HOST:WORKER_PORT); `nats`: the workers' queue group on NATS_URL. */
  @Transform(toLowerCase)
  @IsIn(WORKER_TRANSPORTS, { message: `WORKER_TRANSPORT must be one of ${WORKER_TRANSPORTS.join(', ')}` })
  WORKER_TRANSPORT: WorkerTransportKind = 'tcp';

  /** The NATS server(s) for WORKER_TRANSPORT=nats: nats:// or tls:// URLs, comma-separated. */
  @Matches(NATS_URL_PATTERN, { message: NATS_URL_MESSAGE })
  NATS_URL = 'nats://127.0.0.1:4222';

  @IsString()
  WORKER_HOST = '127.0.0.1';

  /**
   * Several workers: `host:port` (or `tcp://host:port`, `[v6]:port`) separated by commas; when set,
   * WORKER_HOST and WORKER_PORT are not used by the gateway.
   */
  @IsOptional()
  @IsString()
  WORKER_URLS?: string;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_PORT = 5003;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(100000)
  WORKER_MAX_QUEUE = 64;

  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(2000)
  HEALTH_TIMEOUT_MS = 1500;

  @Transform(toNumber)
  @IsInt()
  @Min(MAX_BODY_BYTES_RANGE.min)
  @Max(MAX_BODY_BYTES_RANGE.max)
  MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES;

  /** Time for a client to send its request headers; 408 request_timeout after it. */
  @Transform(toNumber)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** Time for a client to send its whole request, body included; 408 request_timeout after it. */
  @Transform(toNumber)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS = 60_000;

  /** How long an idle keep-alive connection stays open. */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5000;

  /** Request line and headers together; 431 headers_too_large above it. */
  @Transform(toNumber)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024)
  HTTP_MAX_HEADER_BYTES = 16 * 1024;

  @Transform(toNumber)
  @IsInt()
  @Min(MAX_IMAGE_PIXELS_RANGE.min)
  @Max(MAX_IMAGE_PIXELS_RANGE.max)
  MAX_IMAGE_PIXELS = DEFAULT_MAX_IMAGE_PIXELS;

  /** Pages of one PDF read per request (each costs a unit of quota); more is 413 too_many_pages. */
  @Transform(toNumber)
  @IsInt()
  @Min(PDF_MAX_PAGES_RANGE.min)
  @Max(PDF_MAX_PAGES_RANGE.max)
  PDF_MAX_PAGES = DEFAULT_PDF_MAX_PAGES;

  /** Image URLs: also fetch http (default https only). */
  @Transform(toBoolean)
  @IsBoolean()
  URL_ALLOW_HTTP = false;

  /** Image URLs: comma-separated host names fetched even when they resolve to private addresses (tests, dev). */
  @Matches(/^[A-Za-z0-9.:[\]_,\s-]*$/, {
    message: 'URL_ALLOWED_HOSTS must be a comma-separated list of host names',
  })
  URL_ALLOWED_HOSTS = '';

  /** Image URLs: comma-separated ports allowed besides the scheme's default. */
  @Matches(/^\s*(\d{1,5}\s*(,\s*\d{1,5}\s*)*)?$/, {
    message: 'URL_ALLOWED_PORTS must be a comma-separated list of ports',
  })
  URL_ALLOWED_PORTS = '';

  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(120_000)
  URL_FETCH_TIMEOUT_MS = 10_000;

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(10)
  URL_MAX_REDIRECTS = 3;

  /** Image URLs: a PEM file of CA certificates trusted besides the system roots. */
  @IsOptional()
  @IsString()
  URL_CA_FILE?: string;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(256)
  BATCH_MAX = 16;

  /** Images of one batch in flight at once (intake, worker call), so one batch cannot fill the worker's queue. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(64)
  BATCH_CONCURRENCY = 4;

  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(600_000)
  OCR_TIMEOUT_MS = 60_000;

  /**
   * Added to OCR_TIMEOUT_MS to make the lease of a request's quota units: the time it may take to
   * send the answer. A lease its gateway never settled (the process died) is given back after it.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  USAGE_LEASE_GRACE_MS = 30_000;

  /** How often each gateway gives back expired usage leases. */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  USAGE_LEASE_SWEEP_MS = 15_000;

  /** `npm start` only: how many OCR workers it runs, on WORKER_PORT and the ports after it. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(16)
  OCR_WORKERS = 1;

  /** Connections for recognize calls; each call takes the one with the fewest bytes in flight. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONNECTIONS = 4;

  /** Image bytes this gateway may have in flight to the worker; beyond: 503 worker_overloaded at once. */
  @Transform(toNumber)
  @IsInt()
  @Min(1024)
  @Max(16 * 1024 * 1024 * 1024)
  WORKER_MAX_INFLIGHT_BYTES = 128 * 1024 * 1024;

  /** How often the worker's health is probed; a probe unanswered for HEALTH_TIMEOUT_MS takes it out of service. */
  @Transform(toNumber)
  @IsInt()
  @Min(50)
  @Max(10_000)
  WORKER_PROBE_INTERVAL_MS = 250;

  /** How long a connection to the worker may take before it counts as unreachable (503 worker_unavailable). */
  @Transform(toNumber)
  @IsInt()
  @Min(50)
  @Max(10_000)
  WORKER_CONNECT_TIMEOUT_MS = 500;

  /** In-memory OCR results cache, in bytes of serialised results; 0 turns the cache off. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(16 * 1024 * 1024 * 1024)
  RESULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

  /** How long a cached result may be served (memory and Redis). */
  @Transform(toNumber)
  @IsInt()
  @Min(1000)
  @Max(30 * 86_400_000)
  RESULT_CACHE_TTL_MS = 3_600_000;

  @Transform(toNumber)
  @IsInt()
  @Min(4)
  @Max(15)
  BCRYPT_COST = 10;

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  KEY_CACHE_TTL_MS = 60_000;

  /**
   * How long a key change waits for every gateway process to confirm it; a process that has not
   * answered stops trusting its cached verifications before that time is up.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(200)
  @Max(60_000)
  KEY_CHANGE_CONFIRM_TIMEOUT_MS = 2000;

  /** How often the last use of keys, collected in memory, is written to the database. */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  KEY_LAST_USED_FLUSH_MS = 15_000;

  /** Per-address requests per second in front of authentication; 0 turns the limit off. */
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100_000)
  IP_RATE_LIMIT_RPS = 20;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  IP_RATE_LIMIT_BURST = 60;

  /** Prefix of the rate-limit keys in Redis, so that several deployments can share one server. */
  @Matches(/^[A-Za-z0-9:_.-]{0,64}$/, {
    message: 'RATE_LIMIT_REDIS_PREFIX must be at most 64 of A-Z a-z 0-9 : _ . -',
  })
  RATE_LIMIT_REDIS_PREFIX = 'ocr:rl:';

  @IsString()
  CORS_ORIGINS = '';

  /**
   * Secrets that sign short-lived tokens (POST /api/v1/tokens): comma-separated base64url, 32 bytes
   * or more each; the first signs, all verify. Unset: tokens are off.
   */
  @IsString()
  TOKEN_SIGNING_KEYS = '';

  @IsString()
  TRUST_PROXY = 'false';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  @Transform(toBoolean)
  @IsBoolean()
  METRICS_ENABLED = true;

  @IsOptional()
  @IsString()
  TIERS?: string;
}
