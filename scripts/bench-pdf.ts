/**
 * Seconds per PDF page on the real OCR worker: pages read from their text layer, and scanned
 * pages (images wrapped in PDFs, no text layer) rendered and recognised.
 *
 *   npm run bench:pdf -- [--images DIR] [--out PRED_DIR] [--text-pages N]
 *
 * Starts the compiled worker of this build (`<build>/ocr-worker/src/main.js`, the current
 * environment applies: OCR_LANES, PDF_RENDER_DPI, …) on a free loopback port, then sends
 * `ocr.document.read` one document at a time, as the gateway would:
 * - a born-digital PDF of N pages (default 10), each 40 lines of Helvetica, read in one request;
 * - with --images, every JPEG/PNG of DIR as a one-page PDF sized so that the worker's 200 dpi
 *   rendering gives back the image's own pixels. With --out it writes NAME.txt per image, for
 *   `node ../shared/eval/score.mjs --gt DIR --pred PRED_DIR` (word F1 and CER of the same
 *   receipts read through a PDF). Timings are client side (send to answer) and depend on the
 *   machine and its load: the load average is printed with them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { firstValueFrom, timeout } from 'rxjs';
import sharp from 'sharp';
import {
  framedSocket,
  OcrPatterns,
  type ReadDocumentRequest,
  type ReadDocumentResult,
  type WorkerHealth,
} from '@app/contracts';
import { freePort, median } from './bench-support';

const SOCKET = framedSocket({ maxFrameBytes: 256 * 1024 * 1024, maxSendBufferBytes: 1024 * 1024 * 1024 });
const REQUEST_TIMEOUT_MS = 600_000;
const RENDER_DPI = 200;

async function startWorker(): Promise<{ client: ClientProxy; stop: () => Promise<void> }> {
  const main = resolve(__dirname, '..', 'ocr-worker', 'src', 'main.js');
  if (!existsSync(main)) {
    throw new Error('the compiled worker is missing: run `npm run build` first');
  }
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, WORKER_HOST: '127.0.0.1', WORKER_PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port, socketClass: SOCKET },
  });
  const giveUpAt = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the worker exited with code ${child.exitCode} during start-up`);
    }
    try {
      await firstValueFrom(client.send<WorkerHealth>(OcrPatterns.health, {}).pipe(timeout(5_000)));
      break;
    } catch (error) {
      if (Date.now() > giveUpAt) {
        throw error;
      }
      await new Promise((done) => setTimeout(done, 250));
    }
  }
  return {
    client,
    stop: async () => {
      client.close();
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let jobs = 0;

async function read(
  client: ClientProxy,
  pdf: Uint8Array,
  pages: number[],
): Promise<{ ms: number; result: ReadDocumentResult }> {
  jobs += 1;
  const request: ReadDocumentRequest = {
    jobId: `bench_${jobs}`,
    requestId: `bench_${jobs}`,
    bytes: Buffer.from(pdf),
    pages,
    ocr: 'auto',
    mode: 'text',
    deadline: Date.now() + REQUEST_TIMEOUT_MS,
  };
  const started = performance.now();
  const result = await firstValueFrom(
    client.send<ReadDocumentResult>(OcrPatterns.readDocument, request).pipe(timeout(REQUEST_TIMEOUT_MS)),
  );
  return { ms: performance.now() - started, result };
}

async function bornDigital(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 1; p <= pages; p += 1) {
    const page = doc.addPage([612, 792]);
    for (let line = 0; line < 40; line += 1) {
      page.drawText(`Page ${p} line ${line + 1}: 2 x Espresso 3.20 EUR, order 4711-${p * 100 + line}`, {
        x: 56,
        y: 740 - line * 17,
        size: 11,
        font,
      });
    }
  }
  return doc.save();
}

/** A one-page PDF holding the image alone, sized so that rendering at 200 dpi gives its pixels back. */
async function wrapped(image: Buffer): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const { width = 0, height = 0, format } = await sharp(image).metadata();
  const embedded =
    format === 'jpeg' ? await doc.embedJpg(image) : await doc.embedPng(await sharp(image).png().toBuffer());
  const size = { width: (width * 72) / RENDER_DPI, height: (height * 72) / RENDER_DPI };
  doc.addPage([size.width, size.height]).drawImage(embedded, { x: 0, y: 0, ...size });
  return doc.save();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' },
      out: { type: 'string' },
      'text-pages': { type: 'string', default: '10' },
    },
  });
  const textPages = Number(values['text-pages']);
  const worker = await startWorker();
  try {
    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const digital = await bornDigital(textPages);
    const all = Array.from({ length: textPages }, (_, i) => i + 1);
    await read(worker.client, digital, [1]); // warm-up: pdf.js loads in the lane
    const runs: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { ms, result } = await read(worker.client, digital, all);
      if (result.pages.some((page) => page.source !== 'text-layer')) {
        throw new Error('a born-digital page was not read from its text layer');
      }
      runs.push(ms);
    }
    console.log(
      `text layer: ${textPages} pages of 40 lines, median of 3 requests ${median(runs).toFixed(0)} ms: ${(median(runs) / textPages / 1000).toFixed(3)} s per page`,
    );
    if (values.images) {
      const dir = resolve(values.images);
      const names = readdirSync(dir).filter((name) =>
        ['.jpg', '.jpeg', '.png'].includes(extname(name).toLowerCase()),
      );
      if (values.out) {
        mkdirSync(values.out, { recursive: true });
      }
      const perPage: number[] = [];
      for (const name of names) {
        const pdf = await wrapped(readFileSync(join(dir, name)));
        const { ms, result } = await read(worker.client, pdf, [1]);
        if (result.pages[0]?.source !== 'ocr') {
          throw new Error(`${name}: a scanned page was not recognised`);
        }
        perPage.push(ms);
        if (values.out) {
          writeFileSync(join(values.out, `${basename(name, extname(name))}.txt`), result.text);
        }
      }
      console.log(
        `scanned (OCR): ${names.length} one-page PDFs of ${dir}, median ${(median(perPage) / 1000).toFixed(2)} s per page, mean ${(perPage.reduce((a, b) => a + b, 0) / perPage.length / 1000).toFixed(2)} s`,
      );
    }
    console.log(
      `load after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await worker.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
