import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_RANGE } from '@app/config';
import { loadWorkerConfig, WorkerConfigError } from './worker-config';

describe('loadWorkerConfig', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'worker-config-'));
    writeFileSync(join(dir, 'rec.onnx'), 'x');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function failure(env: Record<string, string>): WorkerConfigError {
    try {
      loadWorkerConfig(env, 2);
    } catch (error) {
      if (error instanceof WorkerConfigError) {
        return error;
      }
      throw error;
    }
    throw new Error('expected a WorkerConfigError');
  }

  it('should join the NATS queue group on NATS_URL with WORKER_TRANSPORT=nats, and refuse a bad URL', () => {
    expect(
      loadWorkerConfig({ WORKER_TRANSPORT: 'nats', NATS_URL: 'nats://10.0.0.5:4222,tls://n2:4222' }, 2)
        .transport,
    ).toEqual({ kind: 'nats', servers: ['nats://10.0.0.5:4222', 'tls://n2:4222'] });
    expect(() => loadWorkerConfig({ WORKER_TRANSPORT: 'mqtt' }, 2)).toThrow(
      'WORKER_TRANSPORT must be one of tcp, nats',
    );
    expect(() => loadWorkerConfig({ WORKER_TRANSPORT: 'nats', NATS_URL: 'redis://x:1' }, 2)).toThrow(
      /^NATS_URL must be/,
    );
  });

  it('should default to loopback, port 5003 and automatic lanes, threads and device', () => {
    expect(loadWorkerConfig({}, 2)).toEqual({
      transport: { kind: 'tcp' },
      host: '127.0.0.1',
      port: 5003,
      maxQueue: 64,
      lanes: 'auto',
      intraOpThreads: 'auto',
      device: 'auto',
      models: {},
      optimizedModelDir: resolve('data/model-cache'),
      detLimitSideLen: 960,
      useAngleCls: true,
      recBatchSize: 1,
      maxImagePixels: 40_000_000,
      maxInflightPixels: 40_000_000,
      pdf: { renderDpi: 200, maxPages: 20 },
      maxFrameBytes: 16 * 1024 * 1024 + 64 * 1024,
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      cores: 2,
    });
  });

  it('should read every variable it owns', () => {
    const config = loadWorkerConfig(
      {
        WORKER_HOST: '0.0.0.0',
        WORKER_PORT: '6000',
        WORKER_METRICS_PORT: '9464',
        WORKER_MAX_QUEUE: '0',
        OCR_LANES: '3',
        OCR_INTRA_OP_THREADS: '2',
        OCR_DEVICE: 'CUDA',
        MODEL_DIR: dir,
        REC_MODEL_PATH: join(dir, 'rec.onnx'),
        MODEL_CACHE_DIR: join(dir, 'cache'),
        DET_LIMIT_SIDE_LEN: '1280',
        USE_ANGLE_CLS: 'false',
        OCR_REC_BATCH: '16',
        MAX_IMAGE_PIXELS: '1000',
        WORKER_MAX_INFLIGHT_PIXELS: '5000',
        PDF_RENDER_DPI: '300',
        PDF_MAX_PAGES: '5',
        MAX_BODY_BYTES: '3072',
        WORKER_SHUTDOWN_GRACE_MS: '0',
        LOG_LEVEL: 'debug',
      },
      8,
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 6000,
      metricsPort: 9464,
      maxQueue: 0,
      lanes: 3,
      intraOpThreads: 2,
      device: 'cuda',
      models: { modelDir: dir, recModelPath: join(dir, 'rec.onnx') },
      optimizedModelDir: join(dir, 'cache'),
      detLimitSideLen: 1280,
      useAngleCls: false,
      recBatchSize: 16,
      maxImagePixels: 1000,
      maxInflightPixels: 5000,
      pdf: { renderDpi: 300, maxPages: 5 },
      maxFrameBytes: 3072 + 64 * 1024,
      shutdownGraceMs: 0,
      cores: 8,
    });
    expect(config.logLevel).toBe('debug');
  });

  it('should read numbers and levels the way the gateway does for the variables both share', () => {
    const config = loadWorkerConfig(
      { MAX_IMAGE_PIXELS: '40e6', MAX_BODY_BYTES: '1e6', LOG_LEVEL: 'silent' },
      2,
    );
    expect(config).toMatchObject({
      maxImagePixels: 40_000_000,
      maxInflightPixels: 40_000_000,
      maxFrameBytes: 1e6 + 64 * 1024,
    });
    expect(config.logLevel).toBe('silent');
  });

  it('should size the transport frame for the largest body and its envelope', () => {
    const body = 16 * 1024 * 1024;
    const { maxFrameBytes } = loadWorkerConfig({ MAX_BODY_BYTES: String(body) }, 2);
    expect(maxFrameBytes).toBeGreaterThanOrEqual(body + 1024);
  });

  it.each([
    ['WORKER_PORT', '70000'],
    ['WORKER_PORT', '5003x'],
    ['WORKER_MAX_QUEUE', '-1'],
    ['OCR_LANES', '0'],
    ['OCR_INTRA_OP_THREADS', 'many'],
    ['OCR_DEVICE', 'tpu'],
    ['DET_LIMIT_SIDE_LEN', '1000'],
    ['USE_ANGLE_CLS', 'maybe'],
    ['OCR_REC_BATCH', '0'],
    ['OCR_REC_BATCH', '65'],
    ['OCR_REC_BATCH', '2.5'],
    ['MAX_IMAGE_PIXELS', '0'],
    ['MAX_BODY_BYTES', '1024.5'],
    ['MAX_IMAGE_PIXELS', '4e7x'],
    ['LOG_LEVEL', 'loud'],
    ['WORKER_HOST', 'evil host;'],
    ['OPTIMIZE_MODELS', 'fast'],
    ['WORKER_MAX_INFLIGHT_PIXELS', '0'],
    ['PDF_RENDER_DPI', '50'],
    ['PDF_MAX_PAGES', '0'],
    ['WORKER_METRICS_PORT', '0'],
    ['WORKER_METRICS_PORT', '5003'],
  ])('should refuse %s=%s with an error that names the variable', (variable, value) => {
    const error = failure({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable} `)).toBe(true);
  });

  it('should share the limits of the variables both apps read, and their defaults', () => {
    expect(failure({ MAX_BODY_BYTES: String(MAX_BODY_BYTES_RANGE.max + 1) }).variable).toBe('MAX_BODY_BYTES');
    expect(
      loadWorkerConfig({ MAX_BODY_BYTES: String(MAX_BODY_BYTES_RANGE.max) }, 2).maxFrameBytes,
    ).toBeGreaterThan(MAX_BODY_BYTES_RANGE.max);
    expect(loadWorkerConfig({}, 2).maxFrameBytes).toBe(DEFAULT_MAX_BODY_BYTES + 64 * 1024);
  });

  it('should serve no metrics unless WORKER_METRICS_PORT is set', () => {
    expect(loadWorkerConfig({}, 2).metricsPort).toBeUndefined();
  });

  it('should run the models as shipped when OPTIMIZE_MODELS is off', () => {
    expect(loadWorkerConfig({ OPTIMIZE_MODELS: 'false' }, 2).optimizedModelDir).toBeUndefined();
  });

  it('should refuse a model cache that is a file', () => {
    expect(failure({ MODEL_CACHE_DIR: join(dir, 'rec.onnx') }).message).toBe(
      'MODEL_CACHE_DIR must name a directory',
    );
  });

  it('should refuse a model path that does not exist without echoing the path', () => {
    const missing = join(dir, 'secret-location', 'det.onnx');
    const error = failure({ DET_MODEL_PATH: missing });
    expect(error.message).toBe('DET_MODEL_PATH must name an existing file');
    expect(failure({ MODEL_DIR: join(dir, 'rec.onnx') }).message).toBe(
      'MODEL_DIR must name an existing directory',
    );
  });
});
