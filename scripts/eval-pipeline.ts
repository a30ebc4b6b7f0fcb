/**
 * Runs the OCR engine in-process over folders of images, one image at a time, writes NAME.txt per
 * image (for a scorer that compares against ground truth) and prints where the time goes.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register scripts/eval-pipeline.ts \
 *     --images DIR [--images DIR2 ...] --out PRED_DIR [--threads 2] [--det-limit 960] [--cls] \
 *     [--device cpu] [--optimized CACHE_DIR] [--tuning '{"spacing":{"minGapSteps":4}}'] [--rec-batch 1,8] [--rotate 90]
 *
 * --rotate turns every image clockwise by that many degrees (90, 180 or 270) as it is loaded, to
 * measure whole-page orientation; the turned image (lossless PNG) stays in memory, the timing
 * starts after it. The ground truth boxes are not turned: the scorer compares text only.
 *
 * With several --images folders, predictions go to PRED_DIR/<folder name>/. With several
 * recognition batch sizes (`--rec-batch 1,4,8`, OCR_REC_BATCH's values; default 1) it builds one
 * engine per size and runs each image through all of them in turn (the order rotating from image
 * to image, so that load on the machine falls on all alike); predictions go to
 * PRED_DIR/b<N>/[<folder name>/], and each size's report also counts the lines whose text differs
 * from the first size's reading of the same line box.
 *
 * It also checks two properties of the word boxes on every image (evaluation only): every word
 * box lies inside its line's box (within a pixel: boxes are rounded), and a line's words joined
 * by single spaces are its text; it prints how many words break either. It also counts the
 * quality warnings the images get (reported, never used to tune their thresholds).
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { OcrEngine, StageTimings, TuningOverrides } from '../ocr-worker/src/pipeline/ocr-engine';
import type { DeviceChoice } from '../ocr-worker/src/models/session-factory';
import type { OcrLine, Point, Quad } from '../libs/contracts/src';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif']);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Whether `point` lies inside the convex `quad`, `tolerance` pixels outside its edges allowed. */
function insideQuad([px, py]: Point, quad: Quad, tolerance: number): boolean {
  const area = quad.reduce(
    (sum, [ax, ay], i) => sum + ax * quad[(i + 1) % 4][1] - quad[(i + 1) % 4][0] * ay,
    0,
  );
  return quad.every(([ax, ay], i) => {
    const [bx, by] = quad[(i + 1) % 4];
    const length = Math.hypot(bx - ax, by - ay);
    return (
      length === 0 ||
      (Math.sign(area) * ((bx - ax) * (py - ay) - (by - ay) * (px - ax))) / length >= -tolerance
    );
  });
}

interface WordCheck {
  words: number;
  outside: number;
  /** Lines whose words joined by single spaces are not their text. */
  badJoins: number;
}

function checkWords(lines: readonly OcrLine[]): WordCheck {
  const check: WordCheck = { words: 0, outside: 0, badJoins: 0 };
  for (const line of lines) {
    check.words += line.words.length;
    check.outside += line.words.filter((w) => !w.box.every((p) => insideQuad(p, line.box, 1))).length;
    check.badJoins += line.words.map((w) => w.text).join(' ') === line.text ? 0 : 1;
  }
  return check;
}

interface Sample {
  name: string;
  /** Each line's text by its box: the same boxes come out of every batch size (detection is the same). */
  textByBox: Map<string, string>;
  words: WordCheck;
  warnings: string[];
  totalMs: number;
  /** CPU time of the process (all threads) for the image: less sensitive than wall time to other load on the machine. */
  cpuMs: number;
  lines: number;
  stageMs: StageTimings;
}

async function evaluateFolder(
  engines: ReadonlyArray<{ engine: OcrEngine; outDir: string }>,
  dir: string,
  rotate: number,
): Promise<Sample[][]> {
  for (const { outDir } of engines) {
    mkdirSync(outDir, { recursive: true });
  }
  const files = readdirSync(dir)
    .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();
  const samples: Sample[][] = engines.map(() => []);
  for (const [index, file] of files.entries()) {
    const stored = readFileSync(join(dir, file));
    const bytes = rotate ? await sharp(stored).rotate(rotate).png().toBuffer() : stored;
    const name = basename(file, extname(file));
    for (let k = 0; k < engines.length; k++) {
      const which = (index + k) % engines.length;
      const { engine, outDir } = engines[which];
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const result = await engine.recognize(bytes, 'text');
      const totalMs = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      writeFileSync(join(outDir, `${name}.txt`), `${result.text}\n`);
      samples[which].push({
        name,
        textByBox: new Map(result.lines.map((line) => [JSON.stringify(line.box), line.text])),
        totalMs,
        cpuMs,
        lines: result.lines.length,
        stageMs: result.stageMs,
        words: checkWords(result.lines),
        warnings: result.warnings,
      });
      console.log(
        `${name.padEnd(24)} ${engines.length > 1 ? `${basename(outDir).padEnd(6)} ` : ''}${totalMs.toFixed(0).padStart(6)} ms  cpu ${cpuMs.toFixed(0).padStart(6)} ms  ${String(result.lines.length).padStart(4)} lines`,
      );
    }
  }
  return samples;
}

/** Lines of `samples` whose text differs from, or is missing in, `reference` (matched by image and box). */
function changedLines(samples: readonly Sample[], reference: readonly Sample[]): number {
  let changed = 0;
  samples.forEach((sample, i) => {
    const theirs = reference[i].textByBox;
    const boxes = new Set([...sample.textByBox.keys(), ...theirs.keys()]);
    for (const box of boxes) {
      changed += sample.textByBox.get(box) === theirs.get(box) ? 0 : 1;
    }
  });
  return changed;
}

function report(label: string, samples: Sample[]): void {
  const totals = samples.map((s) => s.totalMs);
  console.log(
    `\n${label}: ${samples.length} images, median ${median(totals).toFixed(0)} ms, mean ${mean(totals).toFixed(0)} ms, max ${Math.max(...totals).toFixed(0)} ms, median ${median(samples.map((s) => s.lines))} lines`,
  );
  const cpu = samples.map((s) => s.cpuMs);
  console.log(
    `  cpu time     median ${median(cpu).toFixed(0)} ms, mean ${mean(cpu).toFixed(0)} ms (all threads)`,
  );
  const words = samples.reduce((sum, s) => sum + s.words.words, 0);
  const outside = samples.reduce((sum, s) => sum + s.words.outside, 0);
  const badJoins = samples.reduce((sum, s) => sum + s.words.badJoins, 0);
  console.log(
    `  word boxes   ${words} words, ${outside} outside their line's box, ${badJoins} line(s) whose words do not join to the text`,
  );
  const warned = new Map<string, number>();
  for (const warning of samples.flatMap((s) => s.warnings)) {
    warned.set(warning, (warned.get(warning) ?? 0) + 1);
  }
  console.log(
    `  warnings     ${samples.filter((s) => s.warnings.length > 0).length} image(s) warned${[...warned].map(([w, n]) => `, ${w} ${n}`).join('')}`,
  );
  const stages = Object.keys(samples[0]?.stageMs ?? {}) as Array<keyof StageTimings>;
  const meanTotal = mean(totals);
  for (const stage of stages) {
    const values = samples.map((s) => s.stageMs[stage]);
    const share = meanTotal > 0 ? (100 * mean(values)) / meanTotal : 0;
    console.log(
      `  ${stage.padEnd(12)} median ${median(values).toFixed(1).padStart(7)} ms  mean ${mean(values).toFixed(1).padStart(7)} ms  ${share.toFixed(1).padStart(5)}%`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', multiple: true },
      out: { type: 'string' },
      threads: { type: 'string', default: '2' },
      'det-limit': { type: 'string', default: '960' },
      cls: { type: 'boolean', default: false },
      device: { type: 'string', default: 'cpu' },
      tuning: { type: 'string' },
      optimized: { type: 'string' },
      'rec-batch': { type: 'string', default: '1' },
      rotate: { type: 'string', default: '0' },
    },
  });
  const rotate = Number(values.rotate);
  if (!values.images?.length || !values.out || ![0, 90, 180, 270].includes(rotate)) {
    console.error(
      'usage: eval-pipeline --images DIR [--images DIR ...] --out PRED_DIR [--threads N] [--det-limit N] [--cls] [--tuning JSON] [--rec-batch N[,N...]] [--rotate 90|180|270]',
    );
    process.exit(2);
  }
  const tuning = values.tuning ? (JSON.parse(values.tuning) as TuningOverrides) : undefined;
  const out = values.out;
  const batchSizes = values['rec-batch'].split(',').map(Number);
  const engines: OcrEngine[] = [];
  for (const recBatchSize of batchSizes) {
    engines.push(
      await OcrEngine.create({
        device: values.device as DeviceChoice,
        intraOpThreads: Number(values.threads),
        detLimitSideLen: Number(values['det-limit']),
        useAngleCls: values.cls,
        recBatchSize,
        maxPixels: 40_000_000,
        tuning,
        optimizedModelDir: values.optimized,
        logger: { log: (m) => console.log(m), warn: (m) => console.warn(m) },
      }),
    );
  }
  console.log(
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  try {
    for (const dir of values.images) {
      const folder = values.images.length > 1 ? basename(dir) : '';
      const runs = engines.map((engine, k) => ({
        engine,
        outDir: join(out, batchSizes.length > 1 ? `b${batchSizes[k]}` : '', folder),
      }));
      const samples = await evaluateFolder(runs, dir, rotate);
      samples.forEach((own, k) => {
        const label = batchSizes.length > 1 ? `${basename(dir)}, rec batch ${batchSizes[k]}` : basename(dir);
        report(label, own);
        if (k > 0) {
          console.log(
            `  text         ${changedLines(own, samples[0])} line(s) differ from rec batch ${batchSizes[0]}`,
          );
        }
      });
    }
    console.log(
      `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await Promise.all(engines.map((engine) => engine.close()));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
