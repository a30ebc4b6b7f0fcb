import { AppConfig, ConfigError, loadConfig, parseWorkerUrls } from './app-config';
import { DEFAULT_TIERS } from './tiers';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe(AppConfig.name, () => {
  it('should apply the documented defaults to an empty environment', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8000,
      processes: 1,
      shutdownGraceMs: 10_000,
      maxBodyBytes: 16 * 1024 * 1024,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5000,
      maxHeaderBytes: 16 * 1024,
      corsOrigins: [],
      trustProxy: false,
    });
    expect(config.database).toEqual({
      url: undefined,
      poolSize: 10,
      connectTimeoutMs: 1000,
      statementTimeoutMs: 1000,
      queryTimeoutMs: 1500,
      embedded: { port: 54329, dir: '/srv/app/data/postgres' },
    });
    expect(config.worker).toEqual({
      transport: 'tcp',
      natsServers: ['nats://127.0.0.1:4222'],
      host: '127.0.0.1',
      port: 5003,
      endpoints: [{ host: '127.0.0.1', port: 5003 }],
      maxQueue: 64,
      startCount: 1,
      healthTimeoutMs: 1500,
      connectTimeoutMs: 500,
      connections: 4,
      maxInflightBytes: 128 * 1024 * 1024,
      probeIntervalMs: 250,
    });
    expect(config.ocr).toEqual({
      maxImagePixels: 40_000_000,
      pdfMaxPages: 20,
      batchMax: 16,
      batchConcurrency: 4,
      timeoutMs: 60_000,
    });
    expect(config.resultCache).toEqual({ maxBytes: 64 * 1024 * 1024, ttlMs: 3_600_000 });
    expect(config.usage).toEqual({ leaseMs: 90_000, sweepMs: 15_000 });
    expect(config.auth).toEqual({
      bcryptCost: 10,
      keyCacheTtlMs: 60_000,
      keyChangeConfirmTimeoutMs: 2000,
      lastUsedFlushMs: 15_000,
    });
    expect(config.tiers).toEqual(DEFAULT_TIERS);
    expect(config.log.level).toBe('info');
    expect(config.metrics.enabled).toBe(true);
    expect(config.redis.url).toBeUndefined();
  });

  it('should convert numeric, boolean and list variables', () => {
    const config = loadConfig(
      {
        PORT: '9000',
        MAX_IMAGE_PIXELS: '40e6',
        METRICS_ENABLED: 'off',
        CORS_ORIGINS: 'https://app.example.com, http://localhost:3000/',
        TRUST_PROXY: 'loopback, 10.0.0.0/8',
        DATABASE_URL: 'postgres://u:p@db:5432/ocr',
        EMBEDDED_PG_DIR: '/var/lib/ocr/pg',
      },
      '/srv/app',
    );
    expect(config.http.port).toBe(9000);
    expect(config.ocr.maxImagePixels).toBe(40_000_000);
    expect(config.metrics.enabled).toBe(false);
    expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
    expect(config.http.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(config.database.url).toBe('postgres://u:p@db:5432/ocr');
    expect(config.database.embedded.dir).toBe('/var/lib/ocr/pg');
  });

  it('should treat an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }, '/srv/app').http.port).toBe(8000);
  });

  it('should accept a hop count or true for TRUST_PROXY', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
  });

  it('should name each bad variable once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      BCRYPT_COST: '3',
      LOG_LEVEL: 'loud',
      METRICS_ENABLED: 'maybe',
    });
    expect(problems).toHaveLength(4);
    expect(problems).toContain('PORT must be an integer number');
    expect(problems.find((p) => p.startsWith('BCRYPT_COST '))).toBeDefined();
    expect(problems.find((p) => p.startsWith('LOG_LEVEL '))).toBeDefined();
    expect(problems.find((p) => p.startsWith('METRICS_ENABLED '))).toBeDefined();
  });

  it('should refuse a headers timeout longer than the request timeout', () => {
    expect(problemsOf({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS',
    ]);
  });

  it('should refuse a client-side query timeout shorter than the statement timeout', () => {
    expect(problemsOf({ DATABASE_STATEMENT_TIMEOUT_MS: '2000', DATABASE_QUERY_TIMEOUT_MS: '1000' })).toEqual([
      'DATABASE_QUERY_TIMEOUT_MS must be at least DATABASE_STATEMENT_TIMEOUT_MS',
    ]);
  });

  it('should make the usage lease the OCR deadline plus its grace', () => {
    const config = loadConfig({
      OCR_TIMEOUT_MS: '8000',
      USAGE_LEASE_GRACE_MS: '2000',
      USAGE_LEASE_SWEEP_MS: '500',
    });
    expect(config.usage).toEqual({ leaseMs: 10_000, sweepMs: 500 });
    expect(problemsOf({ USAGE_LEASE_GRACE_MS: '50', USAGE_LEASE_SWEEP_MS: 'often' })).toEqual([
      expect.stringMatching(/^USAGE_LEASE_GRACE_MS /),
      expect.stringMatching(/^USAGE_LEASE_SWEEP_MS /),
    ]);
  });

  it('should read GATEWAY_PROCESSES and refuse a count outside 1..64', () => {
    expect(loadConfig({ GATEWAY_PROCESSES: '4' }).http.processes).toBe(4);
    for (const bad of ['0', '65', '1.5', 'two']) {
      expect(problemsOf({ GATEWAY_PROCESSES: bad })).toEqual([expect.stringMatching(/^GATEWAY_PROCESSES /)]);
    }
  });

  it('should refuse a health timeout above two seconds', () => {
    expect(problemsOf({ HEALTH_TIMEOUT_MS: '5000' })).toEqual([expect.stringMatching(/^HEALTH_TIMEOUT_MS /)]);
  });

  it('should refuse malformed URLs, origins and proxy lists', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://root@db/ocr',
      REDIS_URL: 'localhost:6379',
      CORS_ORIGINS: 'https://app.example.com/path',
      TRUST_PROXY: 'nginx',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_URL /),
      expect.stringMatching(/^REDIS_URL /),
      expect.stringMatching(/^CORS_ORIGINS /),
      expect.stringMatching(/^TRUST_PROXY /),
    ]);
  });

  it('should read token signing secrets, off by default, and refuse short or non-base64url ones', () => {
    expect(loadConfig({}, '/srv/app').tokens.signingKeys).toEqual([]);
    const first = Buffer.alloc(32, 1).toString('base64url');
    const second = Buffer.alloc(48, 2).toString('base64url');
    expect(
      loadConfig({ TOKEN_SIGNING_KEYS: ` ${first}, ${second} ` }, '/srv/app').tokens.signingKeys,
    ).toEqual([first, second]);
    const short = Buffer.alloc(31, 3).toString('base64url');
    expect(problemsOf({ TOKEN_SIGNING_KEYS: `${first},${short}` })).toEqual([
      expect.stringMatching(/^TOKEN_SIGNING_KEYS /),
    ]);
    expect(problemsOf({ TOKEN_SIGNING_KEYS: `${first}+/` })).toEqual([
      expect.stringMatching(/^TOKEN_SIGNING_KEYS /),
    ]);
    expect(problemsOf({ TOKEN_SIGNING_KEYS: short }).join('\n')).not.toContain(short);
  });

  it('should never echo a variable value in the error message', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/ocr' })).toThrow(ConfigError);
    expect(problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/ocr' }).join('\n')).not.toContain('hunter2');
  });

  it('should merge TIERS over the defaults and add new tiers', () => {
    const config = loadConfig({ TIERS: '{"free":{"daily":250},"team":{"rps":5,"burst":10,"daily":5000}}' });
    expect(config.tier('free')).toEqual({ rps: 2, burst: 5, daily: 250 });
    expect(config.tier('pro')).toEqual(DEFAULT_TIERS.pro);
    expect(config.tier('team')).toEqual({ rps: 5, burst: 10, daily: 5000 });
    expect(config.tier('gold')).toBeUndefined();
    expect(config.tier('constructor')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{free', /TIERS must be valid JSON/],
    ['an array', '[1]', /TIERS must be a JSON object/],
    ['a bad tier name', '{"Gold Plan":{"rps":1,"burst":1,"daily":1}}', /tier name/],
    ['a new tier missing fields', '{"gold":{"rps":1}}', /TIERS\.gold\.burst/],
    ['a non-positive rate', '{"free":{"rps":0}}', /TIERS\.free\.rps/],
    ['an unknown field', '{"free":{"monthly":10}}', /unknown field/],
  ])('should refuse TIERS with %s', (_label, tiers, pattern) => {
    expect(problemsOf({ TIERS: tiers }).join('\n')).toMatch(pattern);
  });

  it('should read the image URL fetch rules, https only by default', () => {
    expect(loadConfig({}, '/srv/app').urlFetch).toEqual({
      allowHttp: false,
      allowedHosts: [],
      allowedPorts: [],
      timeoutMs: 10_000,
      maxRedirects: 3,
      caFile: undefined,
    });
    const config = loadConfig(
      {
        URL_ALLOW_HTTP: 'true',
        URL_ALLOWED_HOSTS: 'localhost, images.test',
        URL_ALLOWED_PORTS: '8443,9443',
        URL_CA_FILE: 'certs/test-ca.pem',
      },
      '/srv/app',
    );
    expect(config.urlFetch).toMatchObject({
      allowHttp: true,
      allowedHosts: ['localhost', 'images.test'],
      allowedPorts: [8443, 9443],
      caFile: '/srv/app/certs/test-ca.pem',
    });
    expect(
      problemsOf({ URL_ALLOWED_PORTS: '443;80', URL_MAX_REDIRECTS: '11', URL_ALLOWED_HOSTS: 'a/b' }),
    ).toHaveLength(3);
  });

  it('should read WORKER_TRANSPORT and NATS_URL, and refuse what is not a NATS URL list', () => {
    const config = loadConfig(
      { WORKER_TRANSPORT: 'NATS', NATS_URL: 'nats://user:secret@10.0.0.5:4222, tls://nats-2.internal:4222' },
      '/',
    );
    expect(config.worker.transport).toBe('nats');
    expect(config.worker.natsServers).toEqual([
      'nats://user:secret@10.0.0.5:4222',
      'tls://nats-2.internal:4222',
    ]);
    expect(problemsOf({ WORKER_TRANSPORT: 'amqp' })).toEqual(['WORKER_TRANSPORT must be one of tcp, nats']);
    for (const bad of ['http://10.0.0.5:4222', 'nats://', 'nats://a:1,,nats://b:2', '10.0.0.5:4222']) {
      expect(problemsOf({ NATS_URL: bad })).toEqual([
        'NATS_URL must be one or more nats:// or tls:// URLs (host:port), separated by commas',
      ]);
    }
  });

  it('should be immutable', () => {
    const config = loadConfig({});
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('parseWorkerUrls', () => {
  it('should read host:port lists, with or without tcp://, IPv6 in brackets', () => {
    expect(parseWorkerUrls('10.0.0.7:5003, tcp://ocr-2.internal:5004,[::1]:5005')).toEqual([
      { host: '10.0.0.7', port: 5003 },
      { host: 'ocr-2.internal', port: 5004 },
      { host: '::1', port: 5005 },
    ]);
  });

  it.each(['', '10.0.0.7', 'http://10.0.0.7:5003', '10.0.0.7:70000', 'a:1,b'])(
    'should refuse %p',
    (value) => {
      expect(parseWorkerUrls(value)).toEqual([]);
    },
  );
});
