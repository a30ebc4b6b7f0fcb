import { onnx } from 'onnx-proto';
import { OnnxGraph } from './onnx-graph';
import {
  DataType,
  intAttribute,
  intsAttribute,
  isDefaultDomain,
  readFloat32,
  readIntegers,
  tensorDims,
  toNumber,
} from './onnx-tensor';

/** A dimension whose size is not known statically (a symbolic batch or image size). */
export type Dim = number | undefined;

export interface ValueShape {
  /** Undefined when even the rank is unknown. */
  dims?: Dim[];
  elemType?: number;
}

const SAME_SHAPE = new Set([
  'Abs',
  'BatchNormalization',
  'Cast',
  'Ceil',
  'Clip',
  'Cos',
  'Dropout',
  'Elu',
  'Erf',
  'Exp',
  'Floor',
  'Hardmax',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'InstanceNormalization',
  'LeakyRelu',
  'Log',
  'LogSoftmax',
  'LRN',
  'Neg',
  'Not',
  'PRelu',
  'Reciprocal',
  'Relu',
  'Round',
  'Selu',
  'Sigmoid',
  'Sin',
  'Softmax',
  'Softplus',
  'Softsign',
  'Sqrt',
  'Tanh',
]);
const BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Mod',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'Where',
  'And',
  'Or',
  'Xor',
]);
const COMPARISON = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual']);
const POOL = new Set(['MaxPool', 'AveragePool', 'LpPool']);
const GLOBAL_POOL = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']);
const REDUCE = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

function normalizeAxis(axis: number, rank: number): number | undefined {
  const normalized = axis < 0 ? axis + rank : axis;
  return normalized >= 0 && normalized < rank ? normalized : undefined;
}

export function broadcastDims(shapes: readonly (Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) {
    return undefined;
  }
  const known = shapes as Dim[][];
  const rank = Math.max(0, ...known.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    const aligned = known.map((s) => (i - (rank - s.length) >= 0 ? s[i - (rank - s.length)] : 1));
    const wide = aligned.find((d) => d !== undefined && d !== 1);
    if (wide !== undefined) {
      return wide;
    }
    return aligned.every((d) => d === 1) ? 1 : undefined;
  });
}

function product(dims: readonly Dim[]): Dim {
  return dims.every((d) => d !== undefined) ? (dims as number[]).reduce((a, b) => a * b, 1) : undefined;
}

/**
 * A small forward shape and element-type inference over the operators the PaddleOCR exports use.
 * It answers "unknown" rather than guess: rewrites that need a fact they cannot get leave the node alone.
 */
export class ShapeInference {
  private readonly shapes = new Map<string, ValueShape>();

  constructor(
    private readonly graph: OnnxGraph,
    inputs: readonly onnx.IValueInfoProto[],
  ) {
    for (const input of inputs) {
      const tensorType = input.type?.tensorType;
      if (!tensorType) {
        continue;
      }
      const dims = tensorType.shape
        ? (tensorType.shape.dim ?? []).map((d) =>
            d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0
              ? toNumber(d.dimValue)
              : undefined,
          )
        : undefined;
      this.shapes.set(input.name ?? '', { dims, elemType: tensorType.elemType ?? undefined });
    }
    for (const node of graph.nodeList) {
      const inferred = this.inferNode(node);
      const out = node.output?.[0];
      if (out && inferred) {
        this.shapes.set(out, inferred);
      }
    }
  }

  get(name: string): ValueShape {
    const constant = this.graph.constant(name);
    if (constant) {
      return { dims: tensorDims(constant), elemType: constant.dataType ?? undefined };
    }
    return this.shapes.get(name) ?? {};
  }

  rank(name: string): number | undefined {
    return this.get(name).dims?.length;
  }

  private dims(name: string | undefined): Dim[] | undefined {
    return name ? this.get(name).dims : undefined;
  }

  /** Integer values held by a constant input, or by an attribute in the older opsets. */
  private integers(node: onnx.INodeProto, attribute: string, slot: number): number[] | undefined {
    const fromAttribute = intsAttribute(node, attribute);
    if (fromAttribute) {
      return fromAttribute.map(Number);
    }
    const name = node.input?.[slot];
    const tensor = name ? this.graph.constant(name) : undefined;
    return tensor ? readIntegers(tensor)?.map(Number) : undefined;
  }

  private inferNode(node: onnx.INodeProto): ValueShape | undefined {
    const op = node.opType ?? '';
    if (!isDefaultDomain(node.domain)) {
      return undefined;
    }
    const inputs = node.input ?? [];
    const first = inputs[0] ? this.get(inputs[0]) : {};
    if (op === 'Constant') {
      return undefined; // answered by graph.constant()
    }
    if (SAME_SHAPE.has(op)) {
      return { dims: first.dims, elemType: op === 'Cast' ? intAttribute(node, 'to', 0) : first.elemType };
    }
    if (BROADCAST.has(op) || COMPARISON.has(op)) {
      const operands = inputs.map((name) => this.get(name));
      const elemType = COMPARISON.has(op)
        ? DataType.BOOL
        : op === 'Where'
          ? operands[1]?.elemType
          : op === 'Pow'
            ? first.elemType
            : operands.find((o) => o.elemType !== undefined)?.elemType;
      return { dims: broadcastDims(operands.map((o) => o.dims)), elemType };
    }
    if (op === 'Conv' || op === 'ConvTranspose') {
      const weight = this.dims(inputs[1]);
      if (!weight) {
        return { elemType: first.elemType };
      }
      const channels =
        op === 'Conv'
          ? weight[0]
          : weight[1] !== undefined
            ? weight[1] * intAttribute(node, 'group', 1)
            : undefined;
      const spatial = Array.from({ length: weight.length - 2 }, (): Dim => undefined);
      return { dims: [first.dims?.[0], channels, ...spatial], elemType: first.elemType };
    }
    if (POOL.has(op) || GLOBAL_POOL.has(op)) {
      if (!first.dims) {
        return { elemType: first.elemType };
      }
      const fill: Dim = GLOBAL_POOL.has(op) ? 1 : undefined;
      return {
        dims: [first.dims[0], first.dims[1], ...first.dims.slice(2).map(() => fill)],
        elemType: first.elemType,
      };
    }
    return this.inferStructural(op, node, first);
  }

  private inferStructural(op: string, node: onnx.INodeProto, first: ValueShape): ValueShape | undefined {
    const inputs = node.input ?? [];
    const dims = first.dims;
    const elemType = first.elemType;
    switch (op) {
      case 'Resize':
        return this.inferResize(node, first);
      case 'Concat': {
        const all = inputs.map((name) => this.dims(name));
        if (!dims || all.some((d) => d?.length !== dims.length)) {
          return { elemType };
        }
        const axis = normalizeAxis(intAttribute(node, 'axis', 1), dims.length);
        if (axis === undefined) {
          return { elemType };
        }
        const out = dims.map((_, i) => all.map((d) => d?.[i]).find((d) => d !== undefined));
        out[axis] = sumOf(all.map((d) => d?.[axis]));
        return { dims: out, elemType };
      }
      case 'Reshape':
        return {
          dims: this.inferReshape(inputs[1], dims, intAttribute(node, 'allowzero', 0) !== 0),
          elemType,
        };
      case 'Flatten': {
        if (!dims) {
          return { elemType };
        }
        const axis = intAttribute(node, 'axis', 1);
        const split = axis < 0 ? axis + dims.length : axis;
        return { dims: [product(dims.slice(0, split)), product(dims.slice(split))], elemType };
      }
      case 'Shape': {
        // Shape-15 may return a window of the dimensions; its length is not worth computing here.
        const windowed = (node.attribute ?? []).some((a) => a.name === 'start' || a.name === 'end');
        return { dims: [windowed ? undefined : dims?.length], elemType: DataType.INT64 };
      }
      case 'Size':
        return { dims: [], elemType: DataType.INT64 };
      case 'Transpose': {
        if (!dims) {
          return { elemType };
        }
        const perm = intsAttribute(node, 'perm')?.map(Number) ?? dims.map((_, i) => dims.length - 1 - i);
        return { dims: perm.map((p) => dims[p]), elemType };
      }
      case 'Squeeze': {
        const axes = this.integers(node, 'axes', 1);
        if (!dims) {
          return { elemType };
        }
        if (!axes) {
          return {
            dims: dims.every((d) => d !== undefined) ? dims.filter((d) => d !== 1) : undefined,
            elemType,
          };
        }
        const drop = new Set(axes.map((a) => normalizeAxis(a, dims.length)));
        return { dims: dims.filter((_, i) => !drop.has(i)), elemType };
      }
      case 'Unsqueeze': {
        const axes = this.integers(node, 'axes', 1);
        if (!dims || !axes) {
          return { elemType };
        }
        const rank = dims.length + axes.length;
        const ones = new Set(axes.map((a) => normalizeAxis(a, rank)));
        const rest = [...dims];
        return { dims: Array.from({ length: rank }, (_, i) => (ones.has(i) ? 1 : rest.shift())), elemType };
      }
      case 'Slice':
        return { dims: this.inferSlice(node, dims), elemType };
      case 'Gather': {
        const indices = this.dims(inputs[1]);
        if (!dims || !indices) {
          return { elemType };
        }
        const axis = normalizeAxis(intAttribute(node, 'axis', 0), dims.length);
        return axis === undefined
          ? { elemType }
          : { dims: [...dims.slice(0, axis), ...indices, ...dims.slice(axis + 1)], elemType };
      }
      case 'MatMul':
        return { dims: this.inferMatMul(dims, this.dims(inputs[1])), elemType };
      case 'Gemm': {
        const b = this.dims(inputs[1]);
        if (!dims || !b || dims.length !== 2 || b.length !== 2) {
          return { elemType };
        }
        const m = intAttribute(node, 'transA', 0) ? dims[1] : dims[0];
        const n = intAttribute(node, 'transB', 0) ? b[0] : b[1];
        return { dims: [m, n], elemType };
      }
      default:
        if (REDUCE.has(op)) {
          return { dims: this.inferReduce(node, dims), elemType };
        }
        return undefined;
    }
  }

  private inferResize(node: onnx.INodeProto, first: ValueShape): ValueShape {
    const inputs = node.input ?? [];
    const dims = first.dims;
    if (!dims) {
      return { elemType: first.elemType };
    }
    // Resize-10 reads scales from slot 1, Resize-11+ from slot 2, sizes from slot 3.
    const sizes = inputs.length > 3 && inputs[3] ? this.graph.constant(inputs[3]) : undefined;
    if (sizes) {
      const values = readIntegers(sizes)?.map(Number);
      return {
        dims: values && values.length === dims.length ? values : dims.map(() => undefined),
        elemType: first.elemType,
      };
    }
    const scalesName = inputs.length === 2 ? inputs[1] : inputs[2];
    const scalesTensor = scalesName ? this.graph.constant(scalesName) : undefined;
    const scales = scalesTensor ? readFloat32(scalesTensor) : undefined;
    if (!scales || scales.length !== dims.length) {
      return { dims: dims.map(() => undefined), elemType: first.elemType };
    }
    return { dims: dims.map((d, i) => (scales[i] === 1 ? d : undefined)), elemType: first.elemType };
  }

  private inferReshape(
    shapeName: string | undefined,
    input: Dim[] | undefined,
    allowZero: boolean,
  ): Dim[] | undefined {
    const tensor = shapeName ? this.graph.constant(shapeName) : undefined;
    const target = tensor ? readIntegers(tensor)?.map(Number) : undefined;
    if (!target) {
      const length = this.dims(shapeName)?.[0];
      return length === undefined ? undefined : Array.from({ length }, (): Dim => undefined);
    }
    const out: Dim[] = target.map((v, i) => (v === 0 && !allowZero ? input?.[i] : v === -1 ? undefined : v));
    const inferIndex = target.indexOf(-1);
    const total = input ? product(input) : undefined;
    const rest = product(out.filter((_, i) => i !== inferIndex));
    if (inferIndex >= 0 && total !== undefined && rest !== undefined && rest > 0) {
      out[inferIndex] = total / rest;
    }
    return out;
  }

  private inferSlice(node: onnx.INodeProto, dims: Dim[] | undefined): Dim[] | undefined {
    if (!dims) {
      return undefined;
    }
    const starts = this.integers(node, 'starts', 1);
    const ends = this.integers(node, 'ends', 2);
    const axesGiven = findAxesInput(node);
    const axes = axesGiven
      ? this.integers(node, 'axes', 3)
      : dims.map((_, i) => i).slice(0, starts?.length ?? 0);
    const steps = (node.input ?? [])[4] ? this.integers(node, 'steps', 4) : starts?.map(() => 1);
    if (!starts || !ends || !axes || !steps) {
      return dims.map(() => undefined);
    }
    const out = [...dims];
    axes.forEach((axisValue, i) => {
      const axis = normalizeAxis(axisValue, dims.length);
      if (axis === undefined) {
        return;
      }
      out[axis] = sliceLength(dims[axis], starts[i], ends[i], steps[i]);
    });
    return out;
  }

  private inferMatMul(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
    if (!a || !b || a.length === 0 || b.length === 0) {
      return undefined;
    }
    if (a.length === 1 && b.length === 1) {
      return [];
    }
    if (a.length === 1) {
      return [...b.slice(0, -2), b[b.length - 1]];
    }
    if (b.length === 1) {
      return a.slice(0, -1);
    }
    const batch = broadcastDims([a.slice(0, -2), b.slice(0, -2)]);
    return batch ? [...batch, a[a.length - 2], b[b.length - 1]] : undefined;
  }

  private inferReduce(node: onnx.INodeProto, dims: Dim[] | undefined): Dim[] | undefined {
    if (!dims) {
      return undefined;
    }
    const axes = this.integers(node, 'axes', 1) ?? dims.map((_, i) => i);
    const reduced = new Set(axes.map((a) => normalizeAxis(a, dims.length)));
    const keep = intAttribute(node, 'keepdims', 1) !== 0;
    return keep ? dims.map((d, i) => (reduced.has(i) ? 1 : d)) : dims.filter((_, i) => !reduced.has(i));
  }
}

function sumOf(sizes: readonly Dim[]): Dim {
  return sizes.every((s) => s !== undefined) ? (sizes as number[]).reduce((a, b) => a + b, 0) : undefined;
}

function findAxesInput(node: onnx.INodeProto): boolean {
  return intsAttribute(node, 'axes') !== undefined || Boolean((node.input ?? [])[3]);
}

/** ONNX Slice semantics: negative indices count from the end, then clamp to the dimension. */
function sliceLength(dim: Dim, start: number, end: number, step: number): Dim {
  if (dim === undefined || step === 0) {
    return undefined;
  }
  const clampIndex = (value: number, low: number, high: number): number =>
    Math.min(Math.max(value < 0 ? value + dim : value, low), high);
  if (step > 0) {
    const from = clampIndex(start, 0, dim);
    const to = clampIndex(end, 0, dim);
    return Math.max(0, Math.ceil((to - from) / step));
  }
  const from = clampIndex(start, 0, dim - 1);
  const to = clampIndex(end, -1, dim - 1);
  return Math.max(0, Math.ceil((to - from) / step));
}
