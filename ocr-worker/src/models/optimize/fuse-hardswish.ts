import { onnx } from 'onnx-proto';
import { OnnxGraph } from './onnx-graph';
import { findAttribute, floatAttribute, isDefaultDomain, makeNode } from './onnx-tensor';
import { ShapeInference } from './shape-inference';

const SIXTH = 1 / 6;
/** float32(1/6) is 5e-9 away from 1/6; exporters that write 0.1666667 are within this. */
const SIXTH_TOLERANCE = 1e-6;

interface Match {
  x: string;
  nodes: onnx.INodeProto[];
  last: onnx.INodeProto;
}

function isPlain(node: onnx.INodeProto | undefined, opType: string): node is onnx.INodeProto {
  return node?.opType === opType && isDefaultDomain(node.domain) && (node.output ?? []).length === 1;
}

class HardSwishMatcher {
  constructor(
    private readonly graph: OnnxGraph,
    private readonly shapes: ShapeInference,
  ) {}

  /**
   * `name` is a one-element float32 constant equal to `expected`, and broadcasting it against
   * `against` cannot change that tensor's shape (a rank-0 scalar, or a rank no higher than its own).
   */
  private isScalar(name: string, expected: number, against: string, tolerance = 0): boolean {
    const scalar = this.graph.floatScalar(name);
    if (!scalar || Math.abs(scalar.value - expected) > tolerance) {
      return false;
    }
    const rank = this.shapes.rank(against);
    return scalar.rank === 0 || (rank !== undefined && rank >= scalar.rank);
  }

  /** `node` computes `other op constant` with the constant on either side (or only second for Div). */
  private otherOperand(node: onnx.INodeProto, other: string, expected: number, tolerance = 0): boolean {
    const inputs = node.input ?? [];
    if (inputs.length !== 2) {
      return false;
    }
    if (inputs[0] === other) {
      return this.isScalar(inputs[1], expected, other, tolerance);
    }
    return (
      node.opType !== 'Div' && inputs[1] === other && this.isScalar(inputs[0], expected, other, tolerance)
    );
  }

  /** `node` divides `value` by 6, or multiplies it by 1/6. */
  private isSixth(node: onnx.INodeProto | undefined, value: string): node is onnx.INodeProto {
    if (isPlain(node, 'Div')) {
      return this.otherOperand(node, value, 6);
    }
    return isPlain(node, 'Mul') && this.otherOperand(node, value, SIXTH, SIXTH_TOLERANCE);
  }

  private isProductOf(node: onnx.INodeProto | undefined, a: string, b: string): node is onnx.INodeProto {
    const inputs = node?.input ?? [];
    return (
      isPlain(node, 'Mul') &&
      inputs.length === 2 &&
      a !== b &&
      ((inputs[0] === a && inputs[1] === b) || (inputs[0] === b && inputs[1] === a))
    );
  }

  /** Clip to [0, 6], from attributes (opset < 11) or constant inputs (opset >= 11). */
  private clipsToZeroSix(clip: onnx.INodeProto): boolean {
    const inputs = clip.input ?? [];
    if (findAttribute(clip, 'min') || findAttribute(clip, 'max')) {
      return inputs.length === 1 && floatAttribute(clip, 'min') === 0 && floatAttribute(clip, 'max') === 6;
    }
    return (
      inputs.length === 3 && this.isScalar(inputs[1], 0, inputs[0]) && this.isScalar(inputs[2], 6, inputs[0])
    );
  }

  /** x * clip(x + 3, 0, 6) / 6, with the division applied to the product or to the clip. */
  matchClip(clip: onnx.INodeProto): Match | undefined {
    const graph = this.graph;
    if (!isPlain(clip, 'Clip') || !this.clipsToZeroSix(clip)) {
      return undefined;
    }
    const shifted = clip.input![0];
    const add = graph.producer(shifted);
    if (!isPlain(add, 'Add') || graph.soleConsumer(shifted) !== clip) {
      return undefined;
    }
    const x = (add.input ?? []).find((name) => !graph.constant(name));
    if (!x || !this.otherOperand(add, x, 3)) {
      return undefined;
    }
    const clipped = clip.output![0];
    const next = graph.soleConsumer(clipped);
    if (!next) {
      return undefined;
    }
    const last = graph.soleConsumer(next.output?.[0] ?? '');
    const productFirst = this.isProductOf(next, x, clipped) && this.isSixth(last, next.output![0]);
    const sixthFirst = this.isSixth(next, clipped) && this.isProductOf(last, x, next.output![0]);
    return last && (productFirst || sixthFirst) ? { x, nodes: [add, clip, next, last], last } : undefined;
  }

  /** x * HardSigmoid(x) with alpha 1/6 and beta 1/2 is HardSwish by definition. */
  matchHardSigmoid(sigmoid: onnx.INodeProto): Match | undefined {
    if (!isPlain(sigmoid, 'HardSigmoid') || (sigmoid.input ?? []).length !== 1) {
      return undefined;
    }
    const alpha = floatAttribute(sigmoid, 'alpha') ?? 0.2;
    const beta = floatAttribute(sigmoid, 'beta') ?? 0.5;
    if (Math.abs(alpha - SIXTH) > SIXTH_TOLERANCE || beta !== 0.5) {
      return undefined;
    }
    const x = sigmoid.input![0];
    const gate = sigmoid.output![0];
    const last = this.graph.soleConsumer(gate);
    return this.isProductOf(last, x, gate) ? { x, nodes: [sigmoid, last], last } : undefined;
  }
}

/**
 * Replaces each hardswish spelled out in elementary ops by one HardSwish node (opset 14).
 * Returns the number of HardSwish nodes made.
 */
export function fuseHardSwish(graph: OnnxGraph, shapes: ShapeInference): number {
  const matcher = new HardSwishMatcher(graph, shapes);
  let fused = 0;
  for (const node of [...graph.nodeList]) {
    if (!graph.nodeList.includes(node)) {
      continue;
    }
    const match =
      node.opType === 'Clip'
        ? matcher.matchClip(node)
        : node.opType === 'HardSigmoid'
          ? matcher.matchHardSigmoid(node)
          : undefined;
    if (!match) {
      continue;
    }
    const output = match.last.output![0];
    graph.replace(
      match.last,
      makeNode('HardSwish', [match.x], [output], graph.uniqueName(`${match.last.name || 'hardswish'}.fused`)),
    );
    graph.remove(...match.nodes.filter((n) => n !== match.last));
    fused++;
  }
  return fused;
}
