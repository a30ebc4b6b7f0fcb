/**
 * @jest-environment <rootDir>/ocr-worker/src/models/optimize/testing/onnx-runtime-environment.ts
 */
import { onnx } from 'onnx-proto';
import { foldAffineIntoConv } from './fold-affine';
import { OnnxGraph } from './onnx-graph';
import { intAttr, intsAttr, floatAttr } from './onnx-tensor';
import { ShapeInference } from './shape-inference';
import { OnnxModelBuilder, opTypes } from './testing/onnx-model-builder';
import { compareModels } from './verify-model';

function fold(bytes: Uint8Array): { bytes: Uint8Array; folded: number } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = new OnnxGraph(model.graph!);
  const folded = foldAffineIntoConv(graph, new ShapeInference(graph, model.graph!.input ?? []));
  graph.commit();
  return { bytes: onnx.ModelProto.encode(model).finish(), folded };
}

async function expectSameOutputs(
  original: Uint8Array,
  rewritten: Uint8Array,
  shape: number[],
): Promise<void> {
  const { maxAbsDiff } = await compareModels(original, rewritten, {
    shapes: { x: shape },
    seed: 11,
    range: [-3, 3],
  });
  expect(maxAbsDiff).toBeLessThan(1e-5);
}

const conv = (pads: number, group = 1) => [
  intsAttr('pads', [pads, pads, pads, pads]),
  intAttr('group', group),
  intsAttr('kernel_shape', [3, 3]),
];

describe(foldAffineIntoConv.name, () => {
  it('should fold a per-channel scale and shift after a Conv into its weights and bias', async () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', ['n', 4, 'h', 'w']);
    const y = m.node('Conv', [x, m.weights([6, 4, 3, 3], 1), m.weights([6], 2)], conv(1));
    const scaled = m.node('Mul', [m.floats([1, 6, 1, 1], (i) => 0.5 + i), y]);
    const shifted = m.node('Add', [scaled, m.floats([6, 1, 1], (i) => i - 2)]);
    m.node('Relu', [shifted], [], 'out');
    const original = m.output('out').build();

    const { bytes, folded } = fold(original);

    expect(folded).toBe(2);
    expect(opTypes(bytes)).toEqual(['Conv', 'Relu']);
    await expectSameOutputs(original, bytes, [1, 4, 9, 7]);
  });

  it('should fold BatchNormalization, Sub and Div after a Conv, constants on either side', async () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', ['n', 3, 'h', 'w']);
    const y = m.node('Conv', [x, m.weights([5, 3, 3, 3], 3)], conv(1));
    const normed = m.node(
      'BatchNormalization',
      [y, m.weights([5], 4), m.weights([5], 5), m.weights([5], 6), m.floats([5], (i) => 1 + i)],
      [floatAttr('epsilon', 1e-5)],
    );
    const flipped = m.node('Sub', [m.floats([1], [0.25]), normed]);
    m.node('Div', [flipped, m.floats([5, 1, 1], (i) => 2 + i)], [], 'out');
    const original = m.output('out').build();

    const { bytes, folded } = fold(original);

    expect(folded).toBe(3);
    expect(opTypes(bytes)).toEqual(['Conv']);
    await expectSameOutputs(original, bytes, [2, 3, 8, 8]);
  });

  it('should fold after a grouped ConvTranspose', async () => {
    const m = new OnnxModelBuilder(11);
    const x = m.input('x', [1, 4, 'h', 'w']);
    const y = m.node(
      'ConvTranspose',
      [x, m.weights([4, 3, 2, 2], 7)],
      [intsAttr('strides', [2, 2]), intAttr('group', 2)],
    );
    const shifted = m.node('Add', [y, m.floats([1, 6, 1, 1], (i) => i / 3)]);
    m.node('Mul', [shifted, m.floats([1, 6, 1, 1], (i) => 1 - i / 4)], [], 'out');
    const original = m.output('out').build();

    const { bytes, folded } = fold(original);

    expect(folded).toBe(2);
    expect(opTypes(bytes)).toEqual(['ConvTranspose']);
    await expectSameOutputs(original, bytes, [1, 4, 5, 6]);
  });

  it('should fold a scale and shift before an unpadded grouped Conv into its weights and bias', async () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', ['n', 4, 'h', 'w']);
    const scaled = m.node('Mul', [m.node('Relu', [x]), m.floats([1, 4, 1, 1], (i) => 0.5 + i)]);
    const shifted = m.node('Add', [scaled, m.floats([1, 4, 1, 1], (i) => i - 1.5)]);
    m.node('Conv', [shifted, m.weights([6, 2, 3, 3], 8), m.weights([6], 9)], conv(0, 2), 'out');
    const original = m.output('out').build();

    const { bytes, folded } = fold(original);

    expect(folded).toBe(2);
    expect(opTypes(bytes)).toEqual(['Relu', 'Conv']);
    await expectSameOutputs(original, bytes, [1, 4, 7, 9]);
  });

  it('should keep one Add before a padded Conv, whose border must still see zeros', async () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', ['n', 3, 'h', 'w']);
    const scaled = m.node('Mul', [m.floats([1], [0.4]), m.node('Relu', [x])]);
    const shifted = m.node('Add', [scaled, m.floats([1], [-0.7])]);
    m.node('Conv', [shifted, m.weights([3, 1, 3, 3], 10), m.weights([3], 11)], conv(1, 3), 'out');
    const original = m.output('out').build();

    const { bytes, folded } = fold(original);

    expect(folded).toBe(1);
    expect(opTypes(bytes)).toEqual(['Relu', 'Add', 'Conv']);
    await expectSameOutputs(original, bytes, [1, 3, 6, 6]);
  });

  it('should leave a shift alone before a padded Conv when there is no scale to fold', () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', ['n', 3, 'h', 'w']);
    const shifted = m.node('Add', [m.node('Relu', [x]), m.floats([1], [-0.7])]);
    m.node('Conv', [shifted, m.weights([3, 3, 3, 3], 12)], conv(1), 'out');

    expect(fold(m.output('out').build()).folded).toBe(0);
  });

  it.each([
    ['spans the width', [1, 1, 1, 5]],
    ['has a higher rank than the output', [1, 1, 2, 1, 1]],
    ['has another channel count', [3, 1, 1]],
    ['aligns with the last axis', [2]],
  ])('should leave a constant that %s', (_, dims) => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', [1, 2, 5, 5]);
    const y = m.node('Conv', [x, m.weights([2, 2, 3, 3], 13)], conv(1));
    m.node('Mul', [y, m.weights(dims, 14)], [], 'out');

    expect(fold(m.output('out').build()).folded).toBe(0);
  });

  it('should leave a Conv output that another node also reads', () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', [1, 2, 5, 5]);
    const y = m.node('Conv', [x, m.weights([2, 2, 3, 3], 15)], conv(1));
    const scaled = m.node('Mul', [y, m.floats([1], [2])]);
    m.node('Add', [scaled, y], [], 'out');

    expect(fold(m.output('out').build()).folded).toBe(0);
  });

  it('should leave an intermediate value that is a graph output', () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', [1, 2, 5, 5]);
    const y = m.node('Conv', [x, m.weights([2, 2, 3, 3], 16)], conv(1), 'conv_out');
    m.node('Mul', [y, m.floats([1], [2])], [], 'out');

    expect(fold(m.output('out').output('conv_out').build()).folded).toBe(0);
  });

  it('should leave weights and operands the caller may override', () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', [1, 2, 5, 5]);
    const y = m.node('Conv', [x, m.overridableFloats([2, 2, 3, 3], (i) => i / 10)], conv(1));
    const z = m.node(
      'Conv',
      [m.node('Relu', [m.node('Mul', [y, m.floats([1], [2])])]), m.weights([2, 2, 3, 3], 17)],
      conv(1),
    );
    m.node('Mul', [z, m.overridableFloats([1], () => 2)], [], 'out');

    expect(fold(m.output('out').build()).folded).toBe(0);
  });
});
