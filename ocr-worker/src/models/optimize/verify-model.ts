import { InferenceSession, Tensor } from 'onnxruntime-node';

/** Symbolic dimensions of a sample input: batch 1, and a size every PaddleOCR stride divides. */
const SAMPLE_BATCH = 1;
const SAMPLE_EXTENT = 64;

export interface CompareOptions {
  /** Inputs to use as given, by input name; the others are seeded random tensors. */
  inputs?: Record<string, Tensor>;
  /** Random input shapes by input name; a missing one is taken from the model, symbolic dimensions filled in. */
  shapes?: Record<string, readonly number[]>;
  seed?: number;
  /** Range of the uniform random input, PaddleOCR's normalised pixel range by default. */
  range?: readonly [number, number];
  intraOpNumThreads?: number;
}

export interface Comparison {
  maxAbsDiff: number;
  /** The largest magnitude in the reference outputs, to judge the difference against. */
  maxAbsReference: number;
  outputs: string[];
}

/** mulberry32: a small seeded generator, so a failing comparison reproduces exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededTensor(
  dims: readonly number[],
  seed: number,
  [low, high]: readonly [number, number] = [-1, 1],
): Tensor {
  const random = seededRandom(seed);
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = low + (high - low) * random();
  }
  return new Tensor('float32', data, [...dims]);
}

async function runModel(
  bytes: Uint8Array,
  feedsFor: (session: InferenceSession) => Record<string, Tensor>,
  threads: number,
): Promise<Map<string, Tensor>> {
  const session = await InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const result = await session.run(feedsFor(session));
    return new Map(session.outputNames.map((name) => [name, result[name]]));
  } finally {
    await session.release();
  }
}

function sampleFeeds(session: InferenceSession, options: CompareOptions): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  session.inputMetadata.forEach((meta, index) => {
    const given = options.inputs?.[meta.name];
    if (given) {
      feeds[meta.name] = given;
      return;
    }
    if (!meta.isTensor || meta.type !== 'float32') {
      throw new Error(`input ${index} is not a float32 tensor`);
    }
    const dims =
      options.shapes?.[meta.name] ??
      meta.shape.map((d, axis) =>
        typeof d === 'number' && d > 0 ? d : axis === 0 ? SAMPLE_BATCH : SAMPLE_EXTENT,
      );
    feeds[meta.name] = seededTensor(dims, (options.seed ?? 1) + index, options.range);
  });
  return feeds;
}

/**
 * Runs both models, one after the other to keep memory low, on the same seeded random input and
 * reports the largest absolute difference over all outputs. Outputs must match in name and shape.
 */
export async function compareModels(
  reference: Uint8Array,
  candidate: Uint8Array,
  options: CompareOptions = {},
): Promise<Comparison> {
  const threads = options.intraOpNumThreads ?? 1;
  let feeds: Record<string, Tensor> | undefined;
  const expected = await runModel(reference, (session) => (feeds = sampleFeeds(session, options)), threads);
  const actual = await runModel(candidate, () => feeds!, threads);
  let maxAbsDiff = 0;
  let maxAbsReference = 0;
  for (const [name, want] of expected) {
    const got = actual.get(name);
    if (!got || got.dims.join(',') !== want.dims.join(',')) {
      throw new Error(`output ${name} is missing or has another shape`);
    }
    const a = want.data as ArrayLike<number>;
    const b = got.data as ArrayLike<number>;
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(Number(a[i]) - Number(b[i]));
      // NaN must fail the comparison, and Math.max would hide it.
      maxAbsDiff = diff > maxAbsDiff || Number.isNaN(diff) ? diff : maxAbsDiff;
      maxAbsReference = Math.max(maxAbsReference, Math.abs(Number(a[i])));
    }
  }
  return { maxAbsDiff, maxAbsReference, outputs: [...expected.keys()] };
}
