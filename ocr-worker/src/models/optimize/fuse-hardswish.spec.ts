/**
 * @jest-environment <rootDir>/ocr-worker/src/models/optimize/testing/onnx-runtime-environment.ts
 */
import { onnx } from 'onnx-proto';
import { optimizeModel } from '../optimize-model';
import { fuseHardSwish } from './fuse-hardswish';
import { OnnxGraph } from './onnx-graph';
import { floatAttr } from './onnx-tensor';
import { ShapeInference } from './shape-inference';
import { OnnxModelBuilder, ShapeSpec, opTypes } from './testing/onnx-model-builder';
import { compareModels } from './verify-model';

function fuse(bytes: Uint8Array): { bytes: Uint8Array; fused: number } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = new OnnxGraph(model.graph!);
  const fused = fuseHardSwish(graph, new ShapeInference(graph, model.graph!.input ?? []));
  graph.commit();
  return { bytes: onnx.ModelProto.encode(model).finish(), fused };
}

async function expectSameOutputs(original: Uint8Array, rewritten: Uint8Array): Promise<void> {
  const { maxAbsDiff } = await compareModels(original, rewritten, {
    shapes: { x: [1, 2, 6, 6] },
    seed: 5,
    range: [-6, 6],
  });
  expect(maxAbsDiff).toBeLessThan(1e-5);
}

type Spelling = 'divide the product' | 'multiply the product by 1/6' | 'divide the clip first';

/** x -> Conv -> hardswish spelled out, as paddle2onnx writes it at opset 11 and later; the Conv fixes the rank. */
function spelledOut(
  spelling: Spelling,
  options: { clipMax?: number; constDims?: number[]; xShape?: ShapeSpec; conv?: boolean } = {},
): OnnxModelBuilder {
  const m = new OnnxModelBuilder(14);
  const dims = options.constDims ?? [];
  const x = m.input('x', options.xShape === undefined ? ['n', 2, 'h', 'w'] : options.xShape);
  const y = options.conv === false ? x : m.node('Conv', [x, m.weights([2, 2, 1, 1], 1)]);
  const shifted = m.node('Add', [y, m.floats(dims, [3])]);
  const clipped = m.node('Clip', [shifted, m.floats([], [0]), m.floats([], [options.clipMax ?? 6])]);
  if (spelling === 'divide the clip first') {
    m.node('Mul', [y, m.node('Div', [clipped, m.floats(dims, [6])])], [], 'out');
  } else {
    const product = m.node('Mul', [clipped, y]);
    if (spelling === 'divide the product') {
      m.node('Div', [product, m.floats(dims, [6])], [], 'out');
    } else {
      m.node('Mul', [m.floats(dims, [1 / 6]), product], [], 'out');
    }
  }
  return m.output('out');
}

describe(fuseHardSwish.name, () => {
  it.each<Spelling>(['divide the product', 'multiply the product by 1/6', 'divide the clip first'])(
    'should fuse x * clip(x + 3, 0, 6) / 6 written to %s',
    async (spelling) => {
      const original = spelledOut(spelling).build();

      const { bytes, fused } = fuse(original);

      expect(fused).toBe(1);
      expect(opTypes(bytes)).toEqual(['Conv', 'HardSwish']);
      await expectSameOutputs(original, bytes);
    },
  );

  it('should fuse the opset 9 spelling, whose Clip bounds are attributes, after raising the opset', async () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', ['n', 2, 'h', 'w']);
    const shifted = m.node('Add', [x, m.floats([], [3])]);
    const clipped = m.node('Clip', [shifted], [floatAttr('min', 0), floatAttr('max', 6)]);
    m.node('Div', [m.node('Mul', [x, clipped]), m.floats([], [6])], [], 'out');
    const original = m.output('out').build();

    const { bytes, report } = optimizeModel(original);

    expect(report).toMatchObject({ fusedHardSwish: 1, opsetFrom: 9, opsetTo: 14 });
    expect(opTypes(bytes)).toEqual(['HardSwish']);
    await expectSameOutputs(original, bytes);
  });

  it('should fuse x * HardSigmoid(x) when alpha is 1/6 and beta 1/2', async () => {
    const m = new OnnxModelBuilder(14);
    const x = m.input('x', ['n', 2, 'h', 'w']);
    m.node(
      'Mul',
      [m.node('HardSigmoid', [x], [floatAttr('alpha', 0.1666667), floatAttr('beta', 0.5)]), x],
      [],
      'out',
    );
    const original = m.output('out').build();

    const { bytes, fused } = fuse(original);

    expect(fused).toBe(1);
    expect(opTypes(bytes)).toEqual(['HardSwish']);
    await expectSameOutputs(original, bytes);
  });

  it('should leave x * HardSigmoid(x) with the default alpha of 0.2', () => {
    const m = new OnnxModelBuilder(14);
    const x = m.input('x', ['n', 2, 'h', 'w']);
    m.node('Mul', [m.node('HardSigmoid', [x]), x], [], 'out');

    expect(fuse(m.output('out').build()).fused).toBe(0);
  });

  it('should leave a clip to another bound', () => {
    expect(fuse(spelledOut('divide the product', { clipMax: 5 }).build()).fused).toBe(0);
  });

  it('should fuse with one-element constants of rank 1 when the input rank is known', () => {
    expect(fuse(spelledOut('divide the product', { constDims: [1] }).build()).fused).toBe(1);
  });

  it('should leave one-element constants that could broadcast an input of unknown rank', () => {
    const unknownRank = spelledOut('divide the product', {
      constDims: [1, 1, 1, 1],
      xShape: null,
      conv: false,
    });
    const knownRank = spelledOut('divide the product', { constDims: [1, 1, 1, 1], conv: false });

    expect(fuse(unknownRank.build()).fused).toBe(0);
    expect(fuse(knownRank.build()).fused).toBe(1);
  });

  it('should leave the pattern when an intermediate value has another reader', () => {
    const m = new OnnxModelBuilder(14);
    const x = m.input('x', ['n', 2, 'h', 'w']);
    const shifted = m.node('Add', [x, m.floats([], [3])], [], 'shifted');
    const clipped = m.node('Clip', [shifted, m.floats([], [0]), m.floats([], [6])]);
    m.node('Div', [m.node('Mul', [x, clipped]), m.floats([], [6])], [], 'out');

    expect(fuse(m.output('out').output('shifted').build()).fused).toBe(0);
  });

  it('should leave a Clip whose bounds come from the graph input', () => {
    const m = new OnnxModelBuilder(14);
    const x = m.input('x', ['n', 2, 'h', 'w']);
    const shifted = m.node('Add', [x, m.floats([], [3])]);
    const clipped = m.node('Clip', [shifted, m.overridableFloats([], () => 0), m.floats([], [6])]);
    m.node('Div', [m.node('Mul', [x, clipped]), m.floats([], [6])], [], 'out');

    expect(fuse(m.output('out').build()).fused).toBe(0);
  });
});
