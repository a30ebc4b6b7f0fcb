import { onnx } from 'onnx-proto';
import { float32Tensor, int64Tensor, makeNode, tensorAttr } from '../onnx-tensor';

export type ShapeSpec = readonly (number | string)[] | null;

/**
 * Writes small ONNX models for the rewrite's specs, in the style of the PaddleOCR exports:
 * weights as initializers or as Constant nodes, any opset.
 */
export class OnnxModelBuilder {
  private readonly nodes: onnx.NodeProto[] = [];
  private readonly initializers: onnx.TensorProto[] = [];
  private readonly inputs: onnx.ValueInfoProto[] = [];
  private readonly outputs: onnx.ValueInfoProto[] = [];
  private count = 0;

  constructor(private readonly opset: number) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  /** A float32 graph input; `null` leaves its shape unknown. */
  input(name: string, shape: ShapeSpec): string {
    const tensorType: onnx.TypeProto.ITensor = { elemType: onnx.TensorProto.DataType.FLOAT };
    if (shape) {
      tensorType.shape = {
        dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
      };
    }
    this.inputs.push(onnx.ValueInfoProto.create({ name, type: { tensorType } }));
    return name;
  }

  output(name: string): this {
    this.outputs.push(
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
      }),
    );
    return this;
  }

  /** A float32 constant; as a Constant node like paddle2onnx writes them, or as an initializer. */
  floats(
    dims: readonly number[],
    values: ArrayLike<number> | ((i: number) => number),
    asNode = true,
  ): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = typeof values === 'function' ? Array.from({ length: count }, (_, i) => values(i)) : values;
    const name = this.fresh('const');
    const tensor = float32Tensor(name, dims, data);
    if (asNode) {
      this.nodes.push(
        makeNode('Constant', [], [name], this.fresh('Constant'), [tensorAttr('value', tensor)]),
      );
    } else {
      this.initializers.push(tensor);
    }
    return name;
  }

  /** An initializer that is also listed as a graph input: a default the caller may override. */
  overridableFloats(dims: readonly number[], values: (i: number) => number): string {
    const name = this.floats(dims, values, false);
    this.inputs.push(
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
      }),
    );
    return name;
  }

  ints(values: readonly number[]): string {
    const name = this.fresh('ints');
    this.initializers.push(int64Tensor(name, [values.length], values.map(BigInt)));
    return name;
  }

  /** Adds a node and answers its first output's name. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: onnx.IAttributeProto[] = [],
    outputName?: string,
  ): string {
    const output = outputName ?? this.fresh(opType.toLowerCase());
    this.nodes.push(makeNode(opType, inputs, [output], this.fresh(opType), attributes));
    return output;
  }

  /** Adds a node with several outputs and answers their names. */
  nodeWithOutputs(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: onnx.IAttributeProto[] = [],
  ): string[] {
    const outputs = Array.from({ length: count }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push(makeNode(opType, inputs, outputs, this.fresh(opType), attributes));
    return outputs;
  }

  /** A deterministic, sign-mixed weight pattern, different for each seed. */
  weights(dims: readonly number[], seed: number, asNode = true): string {
    return this.floats(dims, (i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5, asNode);
  }

  build(): Uint8Array {
    const graph = onnx.GraphProto.create({
      name: 'spec',
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
    return onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 7,
        opsetImport: [{ domain: '', version: this.opset }],
        graph,
        producerName: 'spec',
      }),
    ).finish();
  }
}

/** The op types of a model's nodes, in order, leaving out Constant nodes. */
export function opTypes(bytes: Uint8Array): string[] {
  const model = onnx.ModelProto.decode(bytes);
  return (model.graph?.node ?? []).map((n) => n.opType ?? '').filter((op) => op !== 'Constant');
}
