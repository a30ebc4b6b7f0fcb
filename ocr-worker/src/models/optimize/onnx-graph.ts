import { onnx } from 'onnx-proto';
import { AttributeType, findAttribute, isDefaultDomain, readFloat32, tensorDims } from './onnx-tensor';

export interface FloatConstant {
  dims: number[];
  values: Float32Array;
}

function subgraphsOf(node: onnx.INodeProto): onnx.IGraphProto[] {
  const graphs: onnx.IGraphProto[] = [];
  for (const attr of node.attribute ?? []) {
    if (attr.g) {
      graphs.push(attr.g);
    }
    graphs.push(...(attr.graphs ?? []));
  }
  return graphs;
}

/** Every name a subgraph reads, nested ones included: those may be outer-scope values it captures. */
function namesReadBySubgraphs(nodes: readonly onnx.INodeProto[], into: Set<string>): void {
  for (const node of nodes) {
    for (const graph of subgraphsOf(node)) {
      for (const inner of graph.node ?? []) {
        (inner.input ?? []).forEach((name) => into.add(name));
      }
      namesReadBySubgraphs(graph.node ?? [], into);
    }
  }
}

/**
 * A mutable view of the main graph for pattern rewrites. It answers the questions every rewrite
 * must ask before touching a node: is this value a constant the runtime cannot override, and is
 * this node its only reader.
 */
export class OnnxGraph {
  private nodes: onnx.INodeProto[];
  private readonly constants = new Map<string, onnx.ITensorProto>();
  private readonly usedNames = new Set<string>();
  /** Values read from outside the node list: graph outputs and captures by subgraphs. */
  private readonly pinned = new Set<string>();
  private readonly graphInputs: Set<string>;
  private consumerIndex?: Map<string, onnx.INodeProto[]>;
  private producerIndex?: Map<string, onnx.INodeProto>;

  constructor(private readonly graph: onnx.IGraphProto) {
    this.nodes = [...(graph.node ?? [])];
    this.graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
    for (const tensor of graph.initializer ?? []) {
      const name = tensor.name ?? '';
      this.usedNames.add(name);
      // An initializer that is also a graph input is only a default: the caller may feed another value.
      if (!this.graphInputs.has(name)) {
        this.constants.set(name, tensor);
      }
    }
    for (const node of this.nodes) {
      this.registerNames(node);
      const value = findAttribute(node, 'value');
      if (
        node.opType === 'Constant' &&
        isDefaultDomain(node.domain) &&
        value?.type === AttributeType.TENSOR &&
        value.t
      ) {
        this.constants.set(node.output?.[0] ?? '', value.t);
      }
    }
    for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
      this.usedNames.add(info.name ?? '');
    }
    (graph.output ?? []).forEach((v) => this.pinned.add(v.name ?? ''));
    namesReadBySubgraphs(this.nodes, this.pinned);
  }

  get nodeList(): readonly onnx.INodeProto[] {
    return this.nodes;
  }

  hasSubgraphs(): boolean {
    return this.nodes.some((node) => subgraphsOf(node).length > 0);
  }

  constant(name: string): onnx.ITensorProto | undefined {
    return name ? this.constants.get(name) : undefined;
  }

  floatConstant(name: string): FloatConstant | undefined {
    const tensor = this.constant(name);
    const values = tensor ? readFloat32(tensor) : undefined;
    return tensor && values ? { dims: tensorDims(tensor), values } : undefined;
  }

  /** The single value of a one-element float32 constant. */
  floatScalar(name: string): { value: number; rank: number } | undefined {
    const constant = this.floatConstant(name);
    return constant?.values.length === 1
      ? { value: constant.values[0], rank: constant.dims.length }
      : undefined;
  }

  isGraphInput(name: string): boolean {
    return this.graphInputs.has(name);
  }

  producer(name: string): onnx.INodeProto | undefined {
    this.producerIndex ??= new Map(
      this.nodes.flatMap((node) => (node.output ?? []).map((out) => [out, node] as const)),
    );
    return this.producerIndex.get(name);
  }

  consumers(name: string): readonly onnx.INodeProto[] {
    if (!this.consumerIndex) {
      this.consumerIndex = new Map();
      for (const node of this.nodes) {
        for (const input of node.input ?? []) {
          const list = this.consumerIndex.get(input) ?? [];
          list.push(node);
          this.consumerIndex.set(input, list);
        }
      }
    }
    return this.consumerIndex.get(name) ?? [];
  }

  /**
   * The node that reads `name`, when it is the only reader (through one input slot) and nothing
   * outside the node list sees the value: only then may a rewrite make the value disappear.
   */
  soleConsumer(name: string): onnx.INodeProto | undefined {
    if (this.pinned.has(name)) {
      return undefined;
    }
    const readers = this.consumers(name);
    return readers.length === 1 ? readers[0] : undefined;
  }

  uniqueName(base: string): string {
    let candidate = base;
    for (let n = 1; this.usedNames.has(candidate); n++) {
      candidate = `${base}_${n}`;
    }
    this.usedNames.add(candidate);
    return candidate;
  }

  addInitializer(tensor: onnx.TensorProto): string {
    tensor.name = this.uniqueName(tensor.name || 'optimized_const');
    this.graph.initializer = [...(this.graph.initializer ?? []), tensor];
    this.constants.set(tensor.name, tensor);
    return tensor.name;
  }

  /** Rewires a node's input slot; indexes are rebuilt on next use. */
  setInput(node: onnx.INodeProto, slot: number, name: string): void {
    node.input = [...(node.input ?? [])];
    node.input[slot] = name;
    this.invalidate();
  }

  setInputs(node: onnx.INodeProto, inputs: readonly string[]): void {
    node.input = [...inputs];
    this.invalidate();
  }

  setOutput(node: onnx.INodeProto, slot: number, name: string): void {
    node.output = [...(node.output ?? [])];
    node.output[slot] = name;
    this.invalidate();
  }

  remove(...doomed: onnx.INodeProto[]): void {
    const set = new Set(doomed);
    this.nodes = this.nodes.filter((node) => !set.has(node));
    this.invalidate();
  }

  /** Puts `replacement` where `original` stood, which keeps the node list in topological order. */
  replace(original: onnx.INodeProto, replacement: onnx.INodeProto): void {
    const index = this.nodes.indexOf(original);
    if (index < 0) {
      throw new Error('replace: node not in graph');
    }
    this.registerNames(replacement);
    this.nodes[index] = replacement;
    this.invalidate();
  }

  insertBefore(anchor: onnx.INodeProto, ...added: onnx.INodeProto[]): void {
    const index = this.nodes.indexOf(anchor);
    if (index < 0) {
      throw new Error('insertBefore: node not in graph');
    }
    added.forEach((node) => this.registerNames(node));
    this.nodes.splice(index, 0, ...added);
    this.invalidate();
  }

  /**
   * Writes the node list back and drops what the rewrites left behind: constants nobody reads and
   * value_info entries of values that no longer exist.
   */
  commit(): void {
    const read = new Set<string>(this.pinned);
    this.nodes.forEach((node) => (node.input ?? []).forEach((name) => read.add(name)));
    this.nodes = this.nodes.filter(
      (node) =>
        !(
          node.opType === 'Constant' &&
          isDefaultDomain(node.domain) &&
          (node.output ?? []).every((out) => !read.has(out))
        ),
    );
    this.graph.node = this.nodes;
    this.graph.initializer = (this.graph.initializer ?? []).filter(
      (t) => read.has(t.name ?? '') || this.graphInputs.has(t.name ?? ''),
    );
    const live = new Set<string>([
      ...this.graphInputs,
      ...(this.graph.initializer ?? []).map((t) => t.name ?? ''),
    ]);
    this.nodes.forEach((node) => (node.output ?? []).forEach((name) => live.add(name)));
    this.graph.valueInfo = (this.graph.valueInfo ?? []).filter((v) => live.has(v.name ?? ''));
    this.invalidate();
  }

  private registerNames(node: onnx.INodeProto): void {
    if (node.name) {
      this.usedNames.add(node.name);
    }
    (node.input ?? []).forEach((name) => this.usedNames.add(name));
    (node.output ?? []).forEach((name) => this.usedNames.add(name));
  }

  private invalidate(): void {
    this.consumerIndex = undefined;
    this.producerIndex = undefined;
  }
}
