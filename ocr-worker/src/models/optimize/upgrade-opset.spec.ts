/**
 * @jest-environment <rootDir>/ocr-worker/src/models/optimize/testing/onnx-runtime-environment.ts
 */
import { onnx } from 'onnx-proto';
import { OnnxGraph } from './onnx-graph';
import { floatAttr, intAttr, intsAttr } from './onnx-tensor';
import { ShapeInference } from './shape-inference';
import { OnnxModelBuilder, opTypes } from './testing/onnx-model-builder';
import { defaultOpset, TARGET_OPSET, upgradeBlocker, upgradeOpset } from './upgrade-opset';
import { compareModels } from './verify-model';

function upgrade(bytes: Uint8Array): { bytes: Uint8Array; blocker?: string; opset: number } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = new OnnxGraph(model.graph!);
  const shapes = new ShapeInference(graph, model.graph!.input ?? []);
  const from = defaultOpset(model)!;
  const blocker = upgradeBlocker(graph, shapes, from);
  if (!blocker) {
    upgradeOpset(model, graph, shapes, from);
  }
  graph.commit();
  return { bytes: onnx.ModelProto.encode(model).finish(), blocker, opset: defaultOpset(model)! };
}

async function expectSameOutputs(
  original: Uint8Array,
  rewritten: Uint8Array,
  shape: number[],
): Promise<void> {
  const { maxAbsDiff } = await compareModels(original, rewritten, {
    shapes: { x: shape },
    seed: 3,
    range: [-2, 2],
  });
  expect(maxAbsDiff).toBeLessThan(1e-6);
}

/** x -> Slice -> Unsqueeze -> Squeeze -> Clip -> Softmax, every signature of opset 9. */
function opset9Chain(softmaxAxis: number): Uint8Array {
  const m = new OnnxModelBuilder(9);
  const x = m.input('x', [1, 3, 4, 6]);
  const sliced = m.node(
    'Slice',
    [x],
    [intsAttr('axes', [3]), intsAttr('starts', [1]), intsAttr('ends', [1000])],
  );
  const unsqueezed = m.node('Unsqueeze', [sliced], [intsAttr('axes', [0])]);
  const squeezed = m.node('Squeeze', [unsqueezed], [intsAttr('axes', [0])]);
  const clipped = m.node('Clip', [squeezed], [floatAttr('min', -0.5), floatAttr('max', 1.5)]);
  m.node('Softmax', [clipped], [intAttr('axis', softmaxAxis)], 'out');
  return m.output('out').build();
}

describe(upgradeOpset.name, () => {
  it('should move opset 9 attributes into inputs and keep the old Softmax meaning on an inner axis', async () => {
    const original = opset9Chain(1);

    const { bytes, blocker, opset } = upgrade(original);

    expect(blocker).toBeUndefined();
    expect(opset).toBe(TARGET_OPSET);
    expect(opTypes(bytes)).toEqual([
      'Slice',
      'Unsqueeze',
      'Squeeze',
      'Clip',
      'Flatten',
      'Softmax',
      'Shape',
      'Reshape',
    ]);
    await expectSameOutputs(original, bytes, [1, 3, 4, 6]);
  });

  it('should keep a single Softmax when its axis is the last one', async () => {
    const original = opset9Chain(3);

    const { bytes } = upgrade(original);

    expect(opTypes(bytes)).toEqual(['Slice', 'Unsqueeze', 'Squeeze', 'Clip', 'Softmax']);
    await expectSameOutputs(original, bytes, [1, 3, 4, 6]);
  });

  it('should spell out the old Softmax when the rank is unknown', async () => {
    const m = new OnnxModelBuilder(9);
    m.node('Softmax', [m.input('x', null)], [intAttr('axis', 2)], 'out');
    const original = m.output('out').build();

    const { bytes } = upgrade(original);

    expect(opTypes(bytes)).toContain('Flatten');
    await expectSameOutputs(original, bytes, [2, 3, 4]);
  });

  it('should convert a Clip with only an upper bound', async () => {
    const m = new OnnxModelBuilder(9);
    m.node('Clip', [m.input('x', [2, 5])], [floatAttr('max', 0.25)], 'out');
    const original = m.output('out').build();

    const { bytes } = upgrade(original);

    expect(onnx.ModelProto.decode(bytes).graph!.node![0].input).toHaveLength(3);
    await expectSameOutputs(original, bytes, [2, 5]);
  });

  it('should move ReduceSum axes and Split sizes into inputs from opset 11', async () => {
    const m = new OnnxModelBuilder(11);
    const x = m.input('x', [2, 3, 4]);
    const [a, b] = m.nodeWithOutputs('Split', [x], 2, [intAttr('axis', 1), intsAttr('split', [1, 2])]);
    const summed = m.node('ReduceSum', [b], [intsAttr('axes', [1]), intAttr('keepdims', 1)]);
    m.node('Add', [a, summed], [], 'out');
    const original = m.output('out').build();

    const { bytes, opset } = upgrade(original);

    expect(opset).toBe(TARGET_OPSET);
    await expectSameOutputs(original, bytes, [2, 3, 4]);
  });

  it('should refuse an operator it has no rule for, and leave the model as it was', () => {
    const m = new OnnxModelBuilder(9);
    const x = m.input('x', [1, 1, 2, 2]);
    m.node('Upsample', [x, m.floats([4], [1, 1, 2, 2])], [], 'out');
    const original = m.output('out').build();

    const { bytes, blocker, opset } = upgrade(original);

    expect(blocker).toContain('Upsample');
    expect(opset).toBe(9);
    expect(Buffer.from(bytes).equals(Buffer.from(original))).toBe(true);
  });

  it('should refuse a Resize that only opset 10 spells', () => {
    const m = new OnnxModelBuilder(10);
    m.node('Resize', [m.input('x', [1, 1, 2, 2]), m.floats([4], [1, 1, 2, 2])], [], 'out');

    expect(upgrade(m.output('out').build()).blocker).toContain('Resize');
  });
});
