import { isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { natsServers, validateEnvironment } from '@app/config';
import type { WorkerTransportKind } from '@app/contracts';
import { EnvironmentVariables, LogLevel } from './env.dto';
import { parseTiers, TierLimits, Tiers } from './tiers';

/** Express's `trust proxy` setting: false, a hop count, or addresses/subnets/named ranges. */
export type TrustProxy = boolean | number | string[];

/**
 * The validated configuration, injected by class (`constructor(private readonly config: AppConfig)`).
 * Build it with `loadConfig`; never read `process.env` elsewhere.
 */
export class AppConfig {
  readonly http!: {
    readonly host: string;
    readonly port: number;
    /** GATEWAY_PROCESSES: processes serving `port` together (src/cluster/); 1: this process alone. */
    readonly processes: number;
    /** GATEWAY_SHUTDOWN_GRACE_MS: on SIGTERM, the time requests in progress get to finish. */
    readonly shutdownGraceMs: number;
    readonly maxBodyBytes: number;
    /** Node's http server: time to receive the headers, the whole request, idle keep-alive. */
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxHeaderBytes: number;
    /** Exact origins allowed by CORS; empty means CORS is off. */
    readonly corsOrigins: readonly string[];
    readonly trustProxy: TrustProxy;
  };
  readonly database!: {
    /** `DATABASE_URL` when set; when absent the embedded server under `embedded.dir` is used. */
    readonly url?: string;
    readonly poolSize: number;
    /** Deadlines of the gateway's database calls: connect or pool checkout, server-side, client-side. */
    readonly connectTimeoutMs: number;
    readonly statementTimeoutMs: number;
    readonly queryTimeoutMs: number;
    readonly embedded: { readonly port: number; readonly dir: string };
  };
  readonly redis!: { readonly url?: string };
  readonly worker!: {
    /** WORKER_TRANSPORT: TCP to the endpoints below, or NATS to the workers' queue group on `natsServers`. */
    readonly transport: WorkerTransportKind;
    /** NATS_URL's servers (credentials included: never log them, see describeNatsServers). */
    readonly natsServers: readonly string[];
    readonly host: string;
    readonly port: number;
    /** The workers this gateway spreads calls over: WORKER_URLS, else WORKER_HOST:WORKER_PORT. */
    readonly endpoints: ReadonlyArray<{ readonly host: string; readonly port: number }>;
    readonly maxQueue: number;
    /** Workers `npm start` runs (OCR_WORKERS), on port, port + 1, … */
    readonly startCount: number;
    readonly healthTimeoutMs: number;
    readonly connectTimeoutMs: number;
    readonly connections: number;
    readonly maxInflightBytes: number;
    readonly probeIntervalMs: number;
  };
  readonly ocr!: {
    readonly maxImagePixels: number;
    /** Pages of one PDF read per request. */
    readonly pdfMaxPages: number;
    readonly batchMax: number;
    readonly batchConcurrency: number;
    readonly timeoutMs: number;
  };
  /**
   * Quota leases: `leaseMs` (OCR_TIMEOUT_MS + USAGE_LEASE_GRACE_MS) is how long a request's units
   * may stay unsettled before any gateway gives them back; `sweepMs` how often each gateway looks.
   */
  readonly usage!: { readonly leaseMs: number; readonly sweepMs: number };
  /** OCR results cache (per key lineage); maxBytes 0: off. Shared through Redis when REDIS_URL is set. */
  readonly resultCache!: { readonly maxBytes: number; readonly ttlMs: number };
  /** Image URL fetching (SSRF rules): see src/ocr/image-input/image-input.options.ts. */
  readonly urlFetch!: {
    readonly allowHttp: boolean;
    readonly allowedHosts: readonly string[];
    readonly allowedPorts: readonly number[];
    readonly timeoutMs: number;
    readonly maxRedirects: number;
    /** Absolute path of URL_CA_FILE, when set. */
    readonly caFile?: string;
  };
  readonly auth!: {
    readonly bcryptCost: number;
    readonly keyCacheTtlMs: number;
    /** How long a key change waits for every gateway's confirmation (see api-key-change-confirmations.ts). */
    readonly keyChangeConfirmTimeoutMs: number;
    readonly lastUsedFlushMs: number;
  };
  /** The per-address limit in front of authentication (ipRps 0: off) and the Redis key prefix. */
  readonly rateLimit!: { readonly ipRps: number; readonly ipBurst: number; readonly redisPrefix: string };
  /** Short-lived token signing secrets, base64url, the signing one first; empty: tokens are off. */
  readonly tokens!: { readonly signingKeys: readonly string[] };
  readonly tiers!: Tiers;
  readonly log!: { readonly level: LogLevel };
  readonly metrics!: { readonly enabled: boolean };

  constructor(values: AppConfigValues) {
    Object.assign(this, values);
    deepFreeze(this);
  }

  /** The limits of a configured tier, or undefined for an unknown name. */
  tier(name: string): TierLimits | undefined {
    return Object.prototype.hasOwnProperty.call(this.tiers, name) ? this.tiers[name] : undefined;
  }
}

/** Everything of AppConfig but its methods: what `loadConfig` (or a test) fills in. */
export type AppConfigValues = Omit<AppConfig, 'tier'>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const NAMED_PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Validates the environment once and returns the typed configuration, or throws a ConfigError
 * whose message names every bad variable (never its value: DATABASE_URL may hold a password).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): AppConfig {
  const { vars, problems: invalid } = validateEnvironment(EnvironmentVariables, env);
  const problems = invalid.map((problem) => problem.message);

  const corsOrigins = parseOrigins(vars.CORS_ORIGINS, problems);
  const trustProxy = parseTrustProxy(vars.TRUST_PROXY, problems);
  const signingKeys = parseSigningKeys(vars.TOKEN_SIGNING_KEYS, problems);
  const { tiers, errors: tierErrors } = parseTiers(vars.TIERS);
  problems.push(...tierErrors);
  if (vars.HTTP_HEADERS_TIMEOUT_MS > vars.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (vars.DATABASE_QUERY_TIMEOUT_MS < vars.DATABASE_STATEMENT_TIMEOUT_MS) {
    problems.push('DATABASE_QUERY_TIMEOUT_MS must be at least DATABASE_STATEMENT_TIMEOUT_MS');
  }
  const endpoints =
    vars.WORKER_URLS === undefined
      ? [{ host: vars.WORKER_HOST, port: vars.WORKER_PORT }]
      : parseWorkerUrls(vars.WORKER_URLS);
  if (endpoints.length === 0) {
    problems.push(
      'WORKER_URLS must be a comma-separated list of host:port, such as 127.0.0.1:5003,10.0.0.7:5003',
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  return new AppConfig({
    http: {
      host: vars.HOST,
      port: vars.PORT,
      processes: vars.GATEWAY_PROCESSES,
      shutdownGraceMs: vars.GATEWAY_SHUTDOWN_GRACE_MS,
      maxBodyBytes: vars.MAX_BODY_BYTES,
      headersTimeoutMs: vars.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: vars.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxHeaderBytes: vars.HTTP_MAX_HEADER_BYTES,
      corsOrigins,
      trustProxy,
    },
    database: {
      url: vars.DATABASE_URL,
      poolSize: vars.DATABASE_POOL_SIZE,
      connectTimeoutMs: vars.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: vars.DATABASE_STATEMENT_TIMEOUT_MS,
      queryTimeoutMs: vars.DATABASE_QUERY_TIMEOUT_MS,
      embedded: {
        port: vars.EMBEDDED_PG_PORT,
        dir: isAbsolute(vars.EMBEDDED_PG_DIR) ? vars.EMBEDDED_PG_DIR : resolve(cwd, vars.EMBEDDED_PG_DIR),
      },
    },
    redis: { url: vars.REDIS_URL },
    worker: {
      transport: vars.WORKER_TRANSPORT,
      natsServers: natsServers(vars.NATS_URL),
      host: vars.WORKER_HOST,
      port: vars.WORKER_PORT,
      endpoints,
      maxQueue: vars.WORKER_MAX_QUEUE,
      startCount: vars.OCR_WORKERS,
      healthTimeoutMs: vars.HEALTH_TIMEOUT_MS,
      connectTimeoutMs: vars.WORKER_CONNECT_TIMEOUT_MS,
      connections: vars.WORKER_CONNECTIONS,
      maxInflightBytes: vars.WORKER_MAX_INFLIGHT_BYTES,
      probeIntervalMs: vars.WORKER_PROBE_INTERVAL_MS,
    },
    ocr: {
      maxImagePixels: vars.MAX_IMAGE_PIXELS,
      pdfMaxPages: vars.PDF_MAX_PAGES,
      batchMax: vars.BATCH_MAX,
      batchConcurrency: vars.BATCH_CONCURRENCY,
      timeoutMs: vars.OCR_TIMEOUT_MS,
    },
    usage: { leaseMs: vars.OCR_TIMEOUT_MS + vars.USAGE_LEASE_GRACE_MS, sweepMs: vars.USAGE_LEASE_SWEEP_MS },
    resultCache: { maxBytes: vars.RESULT_CACHE_MAX_BYTES, ttlMs: vars.RESULT_CACHE_TTL_MS },
    urlFetch: {
      allowHttp: vars.URL_ALLOW_HTTP,
      allowedHosts: splitList(vars.URL_ALLOWED_HOSTS),
      allowedPorts: splitList(vars.URL_ALLOWED_PORTS).map(Number),
      timeoutMs: vars.URL_FETCH_TIMEOUT_MS,
      maxRedirects: vars.URL_MAX_REDIRECTS,
      caFile: vars.URL_CA_FILE === undefined ? undefined : resolve(cwd, vars.URL_CA_FILE),
    },
    auth: {
      bcryptCost: vars.BCRYPT_COST,
      keyCacheTtlMs: vars.KEY_CACHE_TTL_MS,
      keyChangeConfirmTimeoutMs: vars.KEY_CHANGE_CONFIRM_TIMEOUT_MS,
      lastUsedFlushMs: vars.KEY_LAST_USED_FLUSH_MS,
    },
    rateLimit: {
      ipRps: vars.IP_RATE_LIMIT_RPS,
      ipBurst: vars.IP_RATE_LIMIT_BURST,
      redisPrefix: vars.RATE_LIMIT_REDIS_PREFIX,
    },
    tokens: { signingKeys },
    tiers,
    log: { level: vars.LOG_LEVEL },
    metrics: { enabled: vars.METRICS_ENABLED },
  });
}

/** The environment for a child process: this one's, with some variables replaced. */
export function childEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** A token signed with a short secret could be forged by search: 32 bytes, as HMAC-SHA256's output. */
export const MIN_TOKEN_SECRET_BYTES = 32;

function parseSigningKeys(raw: string, problems: string[]): string[] {
  const secrets = splitList(raw);
  const valid = secrets.every(
    (secret) =>
      /^[A-Za-z0-9_-]+$/.test(secret) && Buffer.from(secret, 'base64url').length >= MIN_TOKEN_SECRET_BYTES,
  );
  if (!valid) {
    problems.push(
      `TOKEN_SIGNING_KEYS must be a comma-separated list of base64url secrets of at least ${MIN_TOKEN_SECRET_BYTES} bytes each`,
    );
  }
  return secrets;
}

function parseOrigins(raw: string, problems: string[]): string[] {
  const origins = raw
    .split(',')
    .map((entry) => entry.trim().replace(/\/$/, ''))
    .filter((entry) => entry !== '');
  for (const origin of origins) {
    if (!isOrigin(origin)) {
      problems.push('CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com');
      break;
    }
  }
  return origins;
}

function isOrigin(candidate: string): boolean {
  try {
    const url = new URL(candidate);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === candidate;
  } catch {
    return false;
  }
}

function parseTrustProxy(raw: string, problems: string[]): TrustProxy {
  const value = raw.trim().toLowerCase();
  if (value === 'false' || value === '0' || value === '') {
    return false;
  }
  if (value === 'true') {
    return true;
  }
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const valid = entries.every((entry) => NAMED_PROXY_RANGES.includes(entry) || isAddressOrSubnet(entry));
  if (!valid) {
    problems.push(
      'TRUST_PROXY must be false, true, a hop count, or a comma-separated list of addresses, subnets, loopback, linklocal or uniquelocal',
    );
    return false;
  }
  return entries;
}

function isAddressOrSubnet(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || isIP(address) === 0) {
    return false;
  }
  if (prefix === undefined) {
    return true;
  }
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (isIP(address) === 4 ? 32 : 128);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) {
      deepFreeze(child as object);
    }
  }
  return Object.freeze(value);
}

/** `host:port` entries (optionally `tcp://`, IPv6 in brackets); an empty list when any is malformed. */
export function parseWorkerUrls(value: string): Array<{ host: string; port: number }> {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const parsed = entries.map((entry) => {
    const match = /^(?:tcp:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : 0;
    return match && port >= 1 && port <= 65535 ? { host: match[1].replace(/^\[|\]$/g, ''), port } : undefined;
  });
  return parsed.every((endpoint) => endpoint !== undefined) ? parsed : [];
}
