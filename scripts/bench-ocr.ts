/**
 * Drives the real OCR worker over a folder of images and reports what a client sees.
 *
 *   npm run bench:ocr -- --images DIR [--concurrency N[,N...]] [--out PRED_DIR]
 *                        [--connect HOST:PORT [--pid PID]] [--mode text|lines|markdown] [--warmup N]
 *
 * Without --connect it starts the compiled worker of the same build as this script
 * (`<build>/ocr-worker/src/main.js`, started with the current environment, so OCR_LANES,
 * OCR_INTRA_OP_THREADS, DET_LIMIT_SIDE_LEN and the rest apply) on a free loopback port, and stops
 * it afterwards. `npm run bench:ocr` builds `dist/` first when it is missing; the worker runs
 * compiled because its inference lanes are worker threads.
 *
 * For each concurrency level (e.g. `--concurrency 1,4`) every image is sent once, by N clients
 * at a time, and the script prints images/s, p50/p95 latency (client side, send to answer), the
 * worker's own queue and inference times, where the inference time went (from the worker's log
 * lines, when this script started it), and the worker's peak RSS (VmHWM of /proc/PID/status, the
 * high-water mark of the whole process, lanes included). With --out it writes NAME.txt (the
 * result text) per image, for `node ../shared/eval/score.mjs --gt DIR --pred PRED_DIR`.
 * Timings depend on the machine and its load: the load average is printed with them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import sharp from 'sharp';
import {
  framedSocket,
  OCR_MODES,
  OcrPatterns,
  type OcrMode,
  type RecognizeRequest,
  type RecognizeResult,
  type WorkerErrorPayload,
  type WorkerHealth,
} from '@app/contracts';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif']);
const REQUEST_TIMEOUT_MS = 300_000;
/** The gateway's framing (raw image bytes beside the JSON), with room for any test image. */
const BENCH_SOCKET = framedSocket({ maxFrameBytes: 256 * 1024 * 1024, maxSendBufferBytes: 1024 * 1024 * 1024 });

interface BenchOptions {
  images: string;
  concurrency: number[];
  out?: string;
  connect?: { host: string; port: number };
  pid?: number;
  mode: OcrMode;
  warmup: number;
}

interface Sample {
  name: string;
  latencyMs: number;
  result?: RecognizeResult;
  error?: string;
}

interface Worker {
  client: ClientProxy;
  pid?: number;
  stageLog: Map<string, number[]>;
  stop(): Promise<void>;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run bench:ocr -- --images DIR [--concurrency N[,N...]] [--out PRED_DIR] [--connect HOST:PORT [--pid PID]] [--mode text|lines|markdown] [--warmup N]\n`,
  );
  process.exit(2);
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string' },
      concurrency: { type: 'string', default: '1' },
      out: { type: 'string' },
      connect: { type: 'string' },
      pid: { type: 'string' },
      mode: { type: 'string', default: 'text' },
      warmup: { type: 'string', default: '1' },
    },
  });
  if (!values.images || !existsSync(values.images)) {
    usage('--images must name a folder of images');
  }
  const concurrency = values.concurrency.split(',').map(Number);
  if (concurrency.some((n) => !Number.isInteger(n) || n < 1)) {
    usage('--concurrency takes whole numbers of at least 1, e.g. 1,4');
  }
  const mode = OCR_MODES.find((m) => m === values.mode);
  if (!mode) {
    usage(`--mode must be one of ${OCR_MODES.join(', ')}`);
  }
  let connect: BenchOptions['connect'];
  if (values.connect) {
    const at = values.connect.lastIndexOf(':');
    const port = Number(values.connect.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port)) {
      usage('--connect takes HOST:PORT');
    }
    connect = { host: values.connect.slice(0, at), port };
  }
  return {
    images: values.images,
    concurrency,
    out: values.out,
    connect,
    pid: values.pid ? Number(values.pid) : undefined,
    mode,
    warmup: Number(values.warmup),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (typeof address !== 'object' || address === null) {
    throw new Error('no free port');
  }
  return address.port;
}

function health(client: ClientProxy): Promise<WorkerHealth> {
  return firstValueFrom(client.send<WorkerHealth>(OcrPatterns.health, {}).pipe(timeout(5_000)));
}

async function waitForHealth(client: ClientProxy, child?: ChildProcess): Promise<WorkerHealth> {
  const giveUpAt = Date.now() + 180_000;
  for (;;) {
    if (child && child.exitCode !== null) {
      throw new Error(`the worker exited with code ${child.exitCode} during start-up`);
    }
    try {
      return await health(client);
    } catch (error) {
      if (Date.now() > giveUpAt) {
        throw error;
      }
      await new Promise((done) => setTimeout(done, 250));
    }
  }
}

/** The worker logs `recognized ... decode=12 detect=140 ...` per image; collect those stage times. */
function collectStages(line: string, into: Map<string, number[]>): void {
  let message = line;
  try {
    message = (JSON.parse(line) as { message?: string }).message ?? line;
  } catch {
    // a pretty-printed (terminal) log line: read it as it is
  }
  if (!message.includes('recognized request=')) {
    return;
  }
  const stages = message.slice(message.indexOf('totalMs='));
  for (const [, stage, ms] of stages.matchAll(/(\w+)=(\d+)/g)) {
    if (stage !== 'totalMs') {
      into.set(stage, [...(into.get(stage) ?? []), Number(ms)]);
    }
  }
}

async function startWorker(): Promise<Worker> {
  const main = resolve(__dirname, '..', 'ocr-worker', 'src', 'main.js');
  if (!existsSync(main)) {
    throw new Error('the compiled worker is missing: run `npm run build` first');
  }
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, WORKER_HOST: '127.0.0.1', WORKER_PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stageLog = new Map<string, number[]>();
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach((line) => collectStages(line, stageLog));
  });
  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port, socketClass: BENCH_SOCKET },
  });
  await waitForHealth(client, child);
  return {
    client,
    pid: child.pid,
    stageLog,
    stop: async () => {
      client.close();
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function connectWorker(target: { host: string; port: number }, pid?: number): Promise<Worker> {
  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { ...target, socketClass: BENCH_SOCKET },
  });
  await waitForHealth(client);
  return { client, pid, stageLog: new Map(), stop: () => Promise.resolve(client.close()) };
}

/** Peak resident memory of the whole worker process (all lanes), in bytes. */
function peakRss(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/status`)) {
    return undefined;
  }
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : undefined;
}

async function recognizeOne(client: ClientProxy, path: string, mode: OcrMode, id: string): Promise<Sample> {
  const name = basename(path, extname(path));
  const bytes = readFileSync(path);
  const { format = 'unknown', width = 1, height = 1 } = await sharp(bytes).metadata();
  const request: RecognizeRequest = {
    jobId: `job_bench_${id}`,
    requestId: `bench_${id}`,
    bytes,
    image: { format, width, height },
    mode,
    deadline: Date.now() + REQUEST_TIMEOUT_MS,
  };
  const started = performance.now();
  try {
    const result = await firstValueFrom(
      client.send<RecognizeResult>(OcrPatterns.recognize, request).pipe(timeout(REQUEST_TIMEOUT_MS)),
    );
    return { name, latencyMs: performance.now() - started, result };
  } catch (error) {
    const code =
      (error as Partial<WorkerErrorPayload>)?.code ?? (error instanceof Error ? error.message : 'error');
    return { name, latencyMs: performance.now() - started, error: code };
  }
}

async function runLevel(client: ClientProxy, files: string[], opts: BenchOptions, level: number) {
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(level, files.length) }, async () => {
      while (next < files.length) {
        const index = next++;
        samples.push(await recognizeOne(client, files[index], opts.mode, `${level}_${index}`));
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

function report(level: number, samples: Sample[], wallMs: number): number {
  const ok = samples.filter((s) => s.result);
  const failed = samples.filter((s) => s.error);
  const latencies = ok.map((s) => s.latencyMs).sort((a, b) => a - b);
  const throughput = ok.length / (wallMs / 1000);
  const worker = ok.map((s) => s.result as RecognizeResult);
  console.log(`\nconcurrency ${level}: ${ok.length} images in ${seconds(wallMs)}, ${failed.length} failed`);
  console.log(`  throughput   ${throughput.toFixed(3)} images/s`);
  console.log(
    `  latency      p50 ${seconds(percentile(latencies, 50))}  p95 ${seconds(percentile(latencies, 95))}  max ${seconds(latencies.at(-1) ?? Number.NaN)}`,
  );
  console.log(
    `  worker mean  queue ${seconds(mean(worker.map((r) => r.timing.queueMs)))}  inference ${seconds(mean(worker.map((r) => r.timing.inferenceMs)))}  total ${seconds(mean(worker.map((r) => r.timing.totalMs)))}`,
  );
  const codes = new Map<string, number>();
  failed.forEach((s) => codes.set(s.error as string, (codes.get(s.error as string) ?? 0) + 1));
  if (codes.size > 0) {
    console.log(`  failures     ${[...codes].map(([code, n]) => `${code} x${n}`).join(', ')}`);
  }
  return throughput;
}

function reportStages(stageLog: Map<string, number[]>): void {
  if (stageLog.size === 0) {
    return;
  }
  const means = [...stageLog].map(([stage, values]) => [stage, mean(values)] as const);
  const total = means.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`\nwhere the inference time goes (mean per image over every run, from the worker's log):`);
  for (const [stage, ms] of means) {
    console.log(`  ${stage.padEnd(12)} ${seconds(ms)}  ${((100 * ms) / total).toFixed(1)}%`);
  }
}

function writePredictions(dir: string, samples: Sample[]): void {
  mkdirSync(dir, { recursive: true });
  for (const sample of samples) {
    if (sample.result) {
      writeFileSync(join(dir, `${sample.name}.txt`), `${sample.result.text}\n`);
    }
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const files = readdirSync(opts.images)
    .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(opts.images, f));
  if (files.length === 0) {
    usage(`no images (${[...IMAGE_EXTENSIONS].join(' ')}) in ${opts.images}`);
  }
  const worker = opts.connect ? await connectWorker(opts.connect, opts.pid) : await startWorker();
  try {
    const info = await health(worker.client);
    console.log(
      `worker: ${info.model} on ${info.device}, ${info.lanes} lane(s), queue ${info.maxQueue}; ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(`images: ${files.length} from ${opts.images}, mode ${opts.mode}`);
    for (let i = 0; i < opts.warmup; i += 1) {
      await recognizeOne(worker.client, files[i % files.length], opts.mode, `warmup_${i}`);
    }
    worker.stageLog.clear();
    const throughputs: number[] = [];
    for (const [index, level] of opts.concurrency.entries()) {
      const { samples, wallMs } = await runLevel(worker.client, files, opts, level);
      throughputs.push(report(level, samples, wallMs));
      if (opts.out && index === 0) {
        writePredictions(opts.out, samples);
        console.log(`  predictions  ${samples.filter((s) => s.result).length} files in ${opts.out}`);
      }
    }
    if (throughputs.length > 1) {
      const ratios = throughputs
        .slice(1)
        .map((t, i) => `x${(t / throughputs[0]).toFixed(2)} at ${opts.concurrency[i + 1]}`);
      console.log(`\nthroughput vs concurrency ${opts.concurrency[0]}: ${ratios.join(', ')}`);
    }
    reportStages(worker.stageLog);
    const rss = peakRss(worker.pid);
    console.log(
      rss === undefined
        ? '\npeak worker RSS: unknown (pass --pid with --connect to read it)'
        : `\npeak worker RSS: ${(rss / 2 ** 20).toFixed(0)} MiB (VmHWM)`,
    );
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await worker.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ocr failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
