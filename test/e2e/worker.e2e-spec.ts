import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as connectSocket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import sharp from 'sharp';
import {
  framedSocket,
  OcrPatterns,
  type RecognizeRequest,
  type RecognizeResult,
  type WorkerErrorPayload,
  type WorkerHealth,
} from '@app/contracts';
import { pngBomb, svgPage } from '../support/ocr';
import { boundsOf, insideQuad, iou, renderWords } from '../support/words';
import { built, ROOT } from '../support/paths';
import { freePort } from '../support/processes';

/**
 * The real compiled worker process with the real models, driven over TCP the way the gateway
 * drives it. Images are rendered here from SVG; nothing is read from outside the repository.
 */

interface RunningWorker {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** The rewritten models are cached per test run, away from the repository's data folder. */
const modelCache = mkdtempSync(join(tmpdir(), 'ocr-worker-e2e-models-'));
afterAll(() => rmSync(modelCache, { recursive: true, force: true }));

async function startWorker(env: Record<string, string>): Promise<RunningWorker> {
  const port = await freePort();
  const child = spawn(process.execPath, [built('ocr-worker', 'src', 'main.js')], {
    env: {
      PATH: process.env.PATH,
      NODE_PATH: join(ROOT, 'node_modules'),
      WORKER_PORT: String(port),
      MODEL_CACHE_DIR: modelCache,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, output: () => output, exited };
}

function connect(port: number): ClientProxy {
  return ClientProxyFactory.create({
    transport: Transport.TCP,
    options: {
      host: '127.0.0.1',
      port,
      socketClass: framedSocket({ maxFrameBytes: 64 * 1024 * 1024, maxSendBufferBytes: 1024 * 1024 * 1024 }),
    },
  });
}

async function waitUntilHealthy(client: ClientProxy, worker: RunningWorker): Promise<WorkerHealth> {
  const giveUpAt = Date.now() + 90_000;
  let lastError: unknown;
  while (Date.now() < giveUpAt) {
    if (worker.child.exitCode !== null) {
      throw new Error(`worker exited during start-up:\n${worker.output()}`);
    }
    try {
      return await firstValueFrom(client.send<WorkerHealth>(OcrPatterns.health, {}).pipe(timeout(2_000)));
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`worker never became healthy: ${String(lastError)}\n${worker.output()}`);
}

// Model loading and recognition on a shared 2-core machine take seconds, not milliseconds.
jest.setTimeout(120_000);

describe('OCR worker (real process, real models)', () => {
  let worker: RunningWorker;
  let client: ClientProxy;
  let invoice: Buffer;
  let page: Buffer;

  function request(image: Buffer, overrides: Partial<RecognizeRequest> = {}): RecognizeRequest {
    return {
      jobId: `job_${randomBytes(6).toString('hex')}`,
      requestId: `req_${randomBytes(4).toString('hex')}`,
      bytes: image,
      // What the gateway's check would declare; the worker uses it for its pixel budget only.
      image: { format: 'png', width: 1000, height: 800 },
      mode: 'text',
      deadline: Date.now() + 60_000,
      ...overrides,
    };
  }

  function recognize(body: RecognizeRequest): Promise<RecognizeResult> {
    return firstValueFrom(client.send<RecognizeResult>(OcrPatterns.recognize, body).pipe(timeout(60_000)));
  }

  async function errorOf(body: RecognizeRequest): Promise<WorkerErrorPayload> {
    try {
      await recognize(body);
    } catch (error) {
      return error as WorkerErrorPayload;
    }
    throw new Error('expected the worker to refuse the request');
  }

  function health(): Promise<WorkerHealth> {
    return firstValueFrom(client.send<WorkerHealth>(OcrPatterns.health, {}).pipe(timeout(5_000)));
  }

  /** Asks for health until `check` holds: the worker's own state, not a guess at how long it takes. */
  async function healthWhen(check: (answer: WorkerHealth) => boolean): Promise<WorkerHealth> {
    for (;;) {
      const answer = await health();
      if (check(answer)) {
        return answer;
      }
    }
  }

  /** The worker's JSON log lines about one request, once `count` of them have been written. */
  async function logLinesOf(requestId: string, count: number): Promise<Record<string, unknown>[]> {
    for (;;) {
      const lines = worker
        .output()
        .split('\n')
        .filter((line) => line.includes(requestId))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      if (lines.length >= count) {
        return lines;
      }
      await new Promise((resolve) => worker.child.stdout?.once('data', resolve));
    }
  }

  beforeAll(async () => {
    invoice = await sharp(svgPage(['INVOICE 2024', 'TOTAL 12.50'], 640))
      .png()
      .toBuffer();
    const lines = Array.from(
      { length: 12 },
      (_, i) => `Line ${i + 1} of the quarterly report: value ${(i * 7.25).toFixed(2)}`,
    );
    page = await sharp(svgPage(lines, 1000, 48, 28))
      .jpeg()
      .toBuffer();
    worker = await startWorker({ OCR_LANES: '2', OCR_INTRA_OP_THREADS: '1', WORKER_MAX_QUEUE: '1' });
    client = connect(worker.port);
    await waitUntilHealthy(client, worker);
  });

  afterAll(async () => {
    client?.close();
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  });

  it('should report its device, model, lanes and an idle queue, and which process it is', async () => {
    await expect(health()).resolves.toEqual({
      status: 'ok',
      instance: `${hostname()}:${worker.child.pid}`,
      device: 'cpu',
      model: expect.stringContaining('PP-OCR'),
      lanes: 2,
      queueDepth: 0,
      inFlight: 0,
      maxQueue: 1,
    });
  });

  it('should read the words of a rendered image with boxes inside it', async () => {
    const result = await recognize(request(invoice));
    expect(result.text).toMatch(/INVOICE\s*2024/);
    expect(result.text).toMatch(/TOTAL\s*12[.,]50/);
    expect(result).toMatchObject({
      width: 640,
      height: 168,
      device: 'cpu',
      model: expect.stringContaining('PP-OCR'),
    });
    expect(result.lines).toHaveLength(2);
    const [first, second] = result.lines;
    for (const line of result.lines) {
      expect(line.confidence).toBeGreaterThan(0.8);
      expect(line.confidence).toBeLessThanOrEqual(1);
      for (const [x, y] of line.box) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(640);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(168);
      }
    }
    // The first line's text sits around y = 56 - 12, the second around y = 112 - 12.
    const middle = (box: number[][]) => box.reduce((sum, [, y]) => sum + y, 0) / box.length;
    expect(middle(first.box)).toBeGreaterThan(25);
    expect(middle(first.box)).toBeLessThan(60);
    expect(middle(second.box)).toBeGreaterThan(80);
    expect(middle(second.box)).toBeLessThan(115);
    expect(Math.max(...first.box.map(([x]) => x))).toBeGreaterThan(200);
    expect(result.timing.totalMs).toBeGreaterThanOrEqual(result.timing.inferenceMs);
    expect(result.timing.inferenceMs).toBeGreaterThan(0);
    expect(result.timing.queueMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['an upright page', 0],
    ['a page turned 5 degrees', 5],
  ])('should box every word of %s over its own ink, inside its line', async (_name, degrees) => {
    const { png, truth } = await renderWords(
      [
        ['INVOICE', 'No.', '2024-117'],
        ['TOTAL', '12.50', 'paid', 'by', 'card'],
      ],
      { degrees },
    );
    const result = await recognize(request(png));
    expect(result.lines).toHaveLength(2);
    for (const [i, line] of result.lines.entries()) {
      expect(line.words.map((w) => w.text).join(' ')).toBe(line.text);
      expect(line.words.map((w) => w.text)).toEqual(truth[i].map((w) => w.text));
      for (const [j, word] of line.words.entries()) {
        expect(word.confidence).toBeGreaterThan(0.5);
        expect(word.confidence).toBeLessThanOrEqual(1);
        expect(word.box.every((corner) => insideQuad(corner, line.box))).toBe(true);
        const overlap = iou(boundsOf(word.box), truth[i][j].ink);
        // Upright, a word's box is its ink to a pixel or two; turned, its box is a tilted band.
        expect({ word: word.text, good: overlap >= (degrees === 0 ? 0.75 : 0.5) }).toEqual({
          word: word.text,
          good: true,
        });
      }
    }
  });

  it.each([90, 180, 270])(
    'should read a page turned %i degrees as the upright one, warn rotated, and box its words in the image as sent',
    async (degrees) => {
      const lines = [
        ['INVOICE', 'No.', '2024-117'],
        ['TOTAL', '12.50', 'paid', 'by', 'card'],
      ];
      const upright = await recognize(request((await renderWords(lines)).png));
      expect(upright.warnings).not.toContain('rotated');
      const { png, truth } = await renderWords(lines, { degrees });
      const result = await recognize(request(png));
      const { width, height } = await sharp(png).metadata();
      expect([result.width, result.height]).toEqual([width, height]);
      expect(result.text).toBe(upright.text);
      expect(result.warnings).toContain('rotated');
      expect(result.lines).toHaveLength(2);
      for (const [i, line] of result.lines.entries()) {
        expect(line.words.map((w) => w.text)).toEqual(truth[i].map((w) => w.text));
        for (const [x, y] of [...line.box, ...line.words.flatMap((w) => w.box)]) {
          expect(x >= 0 && x <= result.width && y >= 0 && y <= result.height).toBe(true);
        }
        for (const [j, word] of line.words.entries()) {
          expect(word.box.every((corner) => insideQuad(corner, line.box))).toBe(true);
          // A quarter turn is exact: each word's box is its turned ink to a pixel or two.
          const overlap = iou(boundsOf(word.box), truth[i][j].ink);
          expect({ word: word.text, good: overlap >= 0.75 }).toEqual({ word: word.text, good: true });
        }
      }
    },
  );

  it('should warn about a blurred, a dark, a faint and a tiny page, and not about a clean one', async () => {
    const lines = ['INVOICE 2024', 'TOTAL 12.50'];
    const clean = await recognize(request(invoice));
    expect(clean.warnings).toEqual([]);
    const warningsOf = async (image: Promise<Buffer>): Promise<string[]> =>
      (await recognize(request(await image))).warnings;
    const page = () => sharp(svgPage(lines, 640)).removeAlpha();
    await expect(warningsOf(page().blur(6).png().toBuffer())).resolves.toEqual(['blurry']);
    // Paper at a tenth of white leaves paper and ink 25 levels apart: low contrast too.
    await expect(warningsOf(page().linear(0.1, 0).png().toBuffer())).resolves.toEqual([
      'dark',
      'low_contrast',
    ]);
    await expect(warningsOf(page().linear(0.08, 120).png().toBuffer())).resolves.toEqual(['low_contrast']);
    const tiny = await recognize(
      request(
        await sharp(svgPage(lines, 200, 16, 9))
          .png()
          .toBuffer(),
      ),
    );
    expect(tiny.lines.length).toBeGreaterThan(0);
    expect(tiny.warnings).toContain('small_text');
  });

  it('should add markdown in markdown mode only', async () => {
    const plain = await recognize(request(invoice));
    expect(plain.markdown).toBeUndefined();
    const markdown = await recognize(request(invoice, { mode: 'markdown' }));
    expect(markdown.markdown).toContain('INVOICE');
  });

  it('should answer health while a recognition is running', async () => {
    let done = false;
    const running = recognize(request(page)).finally(() => (done = true));
    let busy: WorkerHealth | undefined;
    while (!done && !busy) {
      const started = Date.now();
      const answer = await health();
      expect(Date.now() - started).toBeLessThan(1_000);
      if (answer.inFlight > 0 && !done) {
        busy = answer;
      }
    }
    expect(busy).toMatchObject({ inFlight: 1, queueDepth: 0 });
    const result = await running;
    expect(result.lines.length).toBeGreaterThanOrEqual(10);
  });

  it.each([
    ['an empty buffer', 'invalid_image', () => Buffer.alloc(0)],
    ['random bytes', 'unsupported_media_type', () => randomBytes(4096)],
    [
      'a 1x1 image',
      'invalid_image',
      () =>
        sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
          .png()
          .toBuffer(),
    ],
    [
      'a truncated JPEG',
      'invalid_image',
      async () =>
        (
          await sharp(svgPage(['TRUNCATED'], 400))
            .jpeg()
            .toBuffer()
        ).subarray(0, 700),
    ],
    ['a 400-megapixel PNG bomb', 'image_too_large', () => pngBomb()],
  ])('should refuse %s with %s and stay up', async (_name, code, make) => {
    const refused = await errorOf(request(await make()));
    expect(refused).toEqual({ code, message: expect.any(String) });
    expect(refused.message).not.toMatch(/\/|\bat\b.*:\d+/);
    await expect(health()).resolves.toMatchObject({ status: 'ok', lanes: 2 });
  });

  it('should log a refusal once, as a warning under the request id', async () => {
    const body = request(Buffer.alloc(0));
    await expect(errorOf(body)).resolves.toMatchObject({ code: 'invalid_image' });
    expect(await logLinesOf(body.requestId, 1)).toEqual([
      expect.objectContaining({ level: 40, requestId: body.requestId, code: 'invalid_image', msg: 'refused' }),
    ]);
  });

  it('should answer a malformed message with internal_error and log it once as an error, without a stack', async () => {
    const body = request(invoice, { jobId: 'not a job id' });
    await expect(errorOf(body)).resolves.toEqual({
      code: 'internal_error',
      message: 'The recognize request has an invalid jobId.',
    });
    const [line, ...others] = await logLinesOf(body.requestId, 1);
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      level: 50,
      requestId: body.requestId,
      err: { type: 'WorkerError', message: 'The recognize request has an invalid jobId.' },
      msg: 'failed unexpectedly',
    });
    expect(JSON.stringify(line)).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('should refuse a request whose deadline has passed with timeout, without running it', async () => {
    await expect(errorOf(request(invoice, { deadline: Date.now() - 1 }))).resolves.toEqual({
      code: 'timeout',
      message: expect.any(String),
    });
  });

  it('should answer worker_overloaded at once when every lane is busy and the queue is full', async () => {
    const order: string[] = [];
    const attempts = Array.from({ length: 6 }, () =>
      recognize(request(page)).then(
        () => order.push('ok'),
        (error: WorkerErrorPayload) => order.push(error.code),
      ),
    );
    await Promise.all(attempts);
    // Two lanes run, one job waits, the other three are refused before anything finishes.
    expect(order).toEqual(['worker_overloaded', 'worker_overloaded', 'worker_overloaded', 'ok', 'ok', 'ok']);
    await expect(health()).resolves.toMatchObject({ queueDepth: 0, inFlight: 0 });
  });

  it('should drop a queued job whose deadline passes while it waits', async () => {
    const first = recognize(request(page));
    const second = recognize(request(page));
    const late = errorOf(request(page, { deadline: Date.now() + 150 }));
    await expect(late).resolves.toMatchObject({ code: 'timeout' });
    await Promise.all([first, second]);
  });

  it('should drop a queued job that the gateway cancels, before it runs', async () => {
    const running = [recognize(request(page)), recognize(request(page))];
    const queued = request(page);
    const cancelled = errorOf(queued);
    await healthWhen((answer) => answer.queueDepth === 1);
    const cancelledAt = Date.now();
    client.emit(OcrPatterns.cancel, { jobId: queued.jobId });
    await expect(cancelled).resolves.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
    await Promise.all(running);
  });

  it('should drop the queued jobs of a connection that closes (a gateway gone)', async () => {
    const running = [recognize(request(page)), recognize(request(page))];
    const other = connect(worker.port);
    await firstValueFrom(other.send<WorkerHealth>(OcrPatterns.health, {}).pipe(timeout(5_000)));
    other.send(OcrPatterns.recognize, request(page)).subscribe({ error: () => undefined });
    await healthWhen((answer) => answer.queueDepth === 1);
    other.close();
    const emptied = await healthWhen((answer) => answer.queueDepth === 0);
    // Dropped while both lanes were still busy with the first two: it never ran.
    expect(emptied.inFlight).toBe(2);
    await Promise.all(running);
  });

  it('should still recognise after all of that', async () => {
    await expect(recognize(request(invoice))).resolves.toMatchObject({
      text: expect.stringMatching(/INVOICE/),
    });
  });

  it('should finish the running job and exit cleanly on SIGTERM', async () => {
    const running = recognize(request(page));
    await healthWhen((answer) => answer.inFlight === 1);
    worker.child.kill('SIGTERM');
    await expect(running).resolves.toMatchObject({ lines: expect.any(Array) });
    await expect(worker.exited).resolves.toBe(0);
    expect(worker.output()).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('OCR worker start-up', () => {
  it('should refuse to start with a bad variable, naming it', async () => {
    const worker = await startWorker({ OCR_DEVICE: 'tpu' });
    await expect(worker.exited).resolves.toBe(1);
    expect(worker.output()).toContain('OCR_DEVICE must be one of auto, cpu, cuda');
  });

  it('should refuse to start when OCR_DEVICE=cuda and CUDA is missing, saying why', async () => {
    const worker = await startWorker({ OCR_DEVICE: 'cuda', OCR_LANES: '1' });
    await expect(worker.exited).resolves.toBe(1);
    expect(worker.output()).toMatch(/CUDA/);
    expect(worker.output()).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('should read lines of several widths in batches (OCR_REC_BATCH=4) as it reads them one at a time', async () => {
    const { png, truth } = await renderWords([
      ['TOTAL', '12.50', 'paid', 'by', 'card'],
      ['No.', '7'],
      ['INVOICE', 'No.', '2024-117'],
      ['Tax', '0.95'],
      ['Cash', '20.00', 'change', '7.50'],
    ]);
    const readWith = async (batch: string): Promise<RecognizeResult> => {
      const worker = await startWorker({ OCR_LANES: '1', OCR_INTRA_OP_THREADS: '1', OCR_REC_BATCH: batch });
      const client = connect(worker.port);
      try {
        await waitUntilHealthy(client, worker);
        const body: RecognizeRequest = {
          jobId: `job_${randomBytes(6).toString('hex')}`,
          requestId: `req_${randomBytes(4).toString('hex')}`,
          bytes: png,
          image: { format: 'png', width: 900, height: 440 },
          mode: 'text',
          deadline: Date.now() + 60_000,
        };
        return await firstValueFrom(
          client.send<RecognizeResult>(OcrPatterns.recognize, body).pipe(timeout(60_000)),
        );
      } finally {
        client.close();
        worker.child.kill('SIGTERM');
        await worker.exited;
      }
    };
    const alone = await readWith('1');
    const batched = await readWith('4');
    expect(alone.lines).toHaveLength(truth.length);
    // Same lines in the same order, the same words, each word's box where it is read alone.
    expect(batched.lines.map((l) => l.words.map((w) => w.text))).toEqual(
      alone.lines.map((l) => l.words.map((w) => w.text)),
    );
    for (const [i, line] of batched.lines.entries()) {
      for (const [j, word] of line.words.entries()) {
        expect(word.box.every((corner) => insideQuad(corner, line.box))).toBe(true);
        const overlap = iou(boundsOf(word.box), boundsOf(alone.lines[i].words[j].box));
        expect({ word: word.text, good: overlap >= 0.9 }).toEqual({ word: word.text, good: true });
      }
    }
  });

  it('should listen on loopback only by default', async () => {
    const worker = await startWorker({ OCR_LANES: '1', USE_ANGLE_CLS: 'false' });
    const client = connect(worker.port);
    try {
      await waitUntilHealthy(client, worker);
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((nic) => nic && !nic.internal && nic.family === 'IPv4')
        .map((nic) => nic?.address as string);
      for (const address of external) {
        await expect(reachable(address, worker.port)).resolves.toBe(false);
      }
      await expect(reachable('127.0.0.1', worker.port)).resolves.toBe(true);
    } finally {
      client.close();
      worker.child.kill('SIGTERM');
      await expect(worker.exited).resolves.toBe(0);
    }
  });
});

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectSocket({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
