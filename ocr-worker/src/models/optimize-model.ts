import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { foldAffineIntoConv } from './optimize/fold-affine';
import { fuseHardSwish } from './optimize/fuse-hardswish';
import { OnnxGraph } from './optimize/onnx-graph';
import { OnnxRewriteError } from './optimize/onnx-tensor';
import { ShapeInference } from './optimize/shape-inference';
import { defaultOpset, TARGET_OPSET, upgradeBlocker, upgradeOpset } from './optimize/upgrade-opset';
import { compareModels } from './optimize/verify-model';

/** Part of the cache key: bump it whenever the rewrite's output may change. */
export const OPTIMIZE_REWRITE_VERSION = 1;

/** Largest output difference accepted when a fresh rewrite is checked, relative to outputs of magnitude above 1. */
export const OPTIMIZE_TOLERANCE = 1e-4;

export interface OptimizeReport {
  /** Mul/Add/Sub/Div/BatchNormalization nodes folded into a neighbouring Conv's weights and bias. */
  foldedAffine: number;
  /** HardSwish nodes that replaced an Add/Clip/Mul/Div (or HardSigmoid/Mul) spelling. */
  fusedHardSwish: number;
  opsetFrom: number;
  opsetTo: number;
  /** Why the opset (and with it HardSwish fusion) stayed where it was, when it did. */
  upgradeSkipped?: string;
}

export interface OptimizedModel {
  bytes: Uint8Array;
  report: OptimizeReport;
}

/**
 * An exact rewrite of an ONNX graph for onnxruntime's CPU provider: per-channel affine ops around
 * convolutions folded into the weights, hardswish fused into one node, the opset raised to 14.
 * Patterns that do not match every precondition are left as they are. Throws on a model it
 * cannot read.
 */
export function optimizeModel(onnxBytes: Uint8Array): OptimizedModel {
  const model = onnx.ModelProto.decode(onnxBytes);
  if (!model.graph) {
    throw new OnnxRewriteError('the model has no graph');
  }
  const opsetFrom = defaultOpset(model);
  if (opsetFrom === undefined) {
    throw new OnnxRewriteError('the model imports no default-domain opset');
  }
  const graph = new OnnxGraph(model.graph);
  const shapes = new ShapeInference(graph, model.graph.input ?? []);
  let opsetTo = opsetFrom;
  let upgradeSkipped: string | undefined;
  if (opsetFrom < TARGET_OPSET) {
    upgradeSkipped = upgradeBlocker(graph, shapes, opsetFrom);
    if (!upgradeSkipped) {
      upgradeOpset(model, graph, shapes, opsetFrom);
      opsetTo = TARGET_OPSET;
    }
  }
  const fusedHardSwish = opsetTo >= TARGET_OPSET ? fuseHardSwish(graph, shapes) : 0;
  const foldedAffine = foldAffineIntoConv(graph, shapes);
  graph.commit();
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => p.key !== 'optimized_by'),
    onnx.StringStringEntryProto.create({
      key: 'optimized_by',
      value: `secure-ocr optimize-model v${OPTIMIZE_REWRITE_VERSION}`,
    }),
  ];
  const report: OptimizeReport = {
    foldedAffine,
    fusedHardSwish,
    opsetFrom,
    opsetTo,
    ...(upgradeSkipped ? { upgradeSkipped } : {}),
  };
  return { bytes: onnx.ModelProto.encode(model).finish(), report };
}

export interface LoadOptimizedOptions {
  /**
   * Check a fresh rewrite against the original on a seeded random input before caching it
   * (default true). Costs two session loads and runs, once per model and rewrite version.
   */
  verify?: boolean;
  /** The sample input's shape per input name; symbolic dimensions default to 1 (batch) and 64. */
  sampleShapes?: Record<string, readonly number[]>;
}

export type LoadedModel =
  | { optimized: true; path: string; report: OptimizeReport; cached: boolean }
  | { optimized: false; path: string; report: null; reason: string };

/** A reason fit for a log line: system errors by code only, since their messages carry paths. */
function describeFailure(stage: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') {
    return `${stage}: ${code}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `${stage}: ${message.replace(/\s+/g, ' ').slice(0, 200)}`;
}

function isReport(value: unknown): value is OptimizeReport {
  const r = value as Partial<OptimizeReport> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    [r.foldedAffine, r.fusedHardSwish, r.opsetFrom, r.opsetTo].every(
      (n) => typeof n === 'number' && Number.isInteger(n),
    )
  );
}

async function readCached(modelPath: string, reportPath: string): Promise<OptimizeReport | undefined> {
  try {
    const [report, file] = await Promise.all([readFile(reportPath, 'utf8'), stat(modelPath)]);
    const parsed: unknown = JSON.parse(report);
    return file.isFile() && isReport(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Write-then-rename, so a concurrent reader (another lane) sees the whole file or none. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function verifyRewrite(
  original: Uint8Array,
  rewritten: Uint8Array,
  options: LoadOptimizedOptions,
): Promise<void> {
  const { maxAbsDiff, maxAbsReference } = await compareModels(original, rewritten, {
    shapes: options.sampleShapes,
  });
  const allowed = OPTIMIZE_TOLERANCE * Math.max(1, maxAbsReference);
  if (!(maxAbsDiff <= allowed)) {
    throw new OnnxRewriteError(
      `outputs differ by ${maxAbsDiff.toExponential(2)} (allowed ${allowed.toExponential(2)})`,
    );
  }
}

/**
 * The optimised model for `srcPath`, written once into `cacheDir` under the SHA-256 of the source
 * bytes and the rewrite version, and reused after. Never throws: on any failure it answers the
 * original path and the reason, and the worker runs the model as shipped.
 */
export async function loadOptimizedModel(
  srcPath: string,
  cacheDir: string,
  options: LoadOptimizedOptions = {},
): Promise<LoadedModel> {
  const fallback = (reason: string): LoadedModel => ({
    optimized: false,
    path: srcPath,
    report: null,
    reason,
  });
  let source: Buffer;
  try {
    source = await readFile(srcPath);
  } catch (error) {
    return fallback(describeFailure('reading the model', error));
  }
  const key = createHash('sha256')
    .update(`optimize-model v${OPTIMIZE_REWRITE_VERSION}\0`)
    .update(source)
    .digest('hex');
  const modelPath = join(cacheDir, `${key}.onnx`);
  const reportPath = join(cacheDir, `${key}.json`);
  const cached = await readCached(modelPath, reportPath);
  if (cached) {
    return { optimized: true, path: modelPath, report: cached, cached: true };
  }
  let optimized: OptimizedModel;
  try {
    optimized = optimizeModel(source);
  } catch (error) {
    return fallback(describeFailure('rewriting the model', error));
  }
  if (options.verify ?? true) {
    try {
      await verifyRewrite(source, optimized.bytes, options);
    } catch (error) {
      return fallback(describeFailure('checking the rewrite', error));
    }
  }
  try {
    await mkdir(cacheDir, { recursive: true });
    // The report goes last: its presence is what marks the cache entry complete.
    await writeAtomically(modelPath, optimized.bytes);
    await writeAtomically(reportPath, JSON.stringify(optimized.report));
  } catch (error) {
    return fallback(describeFailure('writing the cache', error));
  }
  return { optimized: true, path: modelPath, report: optimized.report, cached: false };
}
