import { onnx } from 'onnx-proto';
import { OnnxGraph } from './onnx-graph';
import {
  DataType,
  float32Tensor,
  float64Tensor,
  floatAttribute,
  isDefaultDomain,
  int64Tensor,
  intAttr,
  intAttribute,
  intsAttribute,
  makeNode,
  removeAttribute,
  setIntAttribute,
  stringAttribute,
  toNumber,
} from './onnx-tensor';
import { ShapeInference } from './shape-inference';

/** HardSwish first exists in opset 14. */
export const TARGET_OPSET = 14;

interface UpgradeContext {
  graph: OnnxGraph;
  shapes: ShapeInference;
  from: number;
}

interface UpgradeRule {
  /** The oldest opset from which the operator can be raised to the target at all. */
  since: number;
  /** A reason this node cannot be raised; asked of every node before anything changes. */
  check?: (node: onnx.INodeProto, ctx: UpgradeContext) => string | undefined;
  /** Rewrites the node's signature when the source opset is below `below`. */
  convert?: { below: number; apply: (node: onnx.INodeProto, ctx: UpgradeContext) => void };
}

function autoPadIsExplicit(node: onnx.INodeProto): string | undefined {
  const autoPad = stringAttribute(node, 'auto_pad') ?? 'NOTSET';
  return autoPad === 'NOTSET' || autoPad === 'VALID' ? undefined : `${node.opType} with auto_pad ${autoPad}`;
}

function clipBoundsType(node: onnx.INodeProto, ctx: UpgradeContext): string | undefined {
  const type = ctx.shapes.get(node.input?.[0] ?? '').elemType;
  return type === DataType.FLOAT || type === DataType.DOUBLE
    ? undefined
    : 'Clip on a tensor of unknown or half type';
}

/** Clip-6 bounds are attributes; Clip-11 takes them as scalar inputs of the data's type. */
function convertClip(node: onnx.INodeProto, ctx: UpgradeContext): void {
  const type = ctx.shapes.get(node.input![0]).elemType;
  const bound = (name: 'min' | 'max'): string => {
    const value = floatAttribute(node, name);
    if (value === undefined) {
      return '';
    }
    const tensorName = `${node.name || 'clip'}.${name}`;
    return ctx.graph.addInitializer(
      type === DataType.DOUBLE
        ? float64Tensor(tensorName, [], [value])
        : float32Tensor(tensorName, [], [value]),
    );
  };
  const inputs = [node.input![0], bound('min'), bound('max')];
  while (inputs[inputs.length - 1] === '') {
    inputs.pop();
  }
  removeAttribute(node, 'min');
  removeAttribute(node, 'max');
  ctx.graph.setInputs(node, inputs);
}

/** Moves an int64 list attribute into an input slot, filling skipped optional slots with ''. */
function attributeToInput(node: onnx.INodeProto, ctx: UpgradeContext, attribute: string, slot: number): void {
  const values = intsAttribute(node, attribute);
  if (!values) {
    return;
  }
  const name = ctx.graph.addInitializer(
    int64Tensor(`${node.name || node.opType}.${attribute}`, [values.length], values),
  );
  removeAttribute(node, attribute);
  const inputs = [...(node.input ?? [])];
  while (inputs.length < slot) {
    inputs.push('');
  }
  inputs[slot] = name;
  ctx.graph.setInputs(node, inputs);
}

function convertSlice(node: onnx.INodeProto, ctx: UpgradeContext): void {
  attributeToInput(node, ctx, 'starts', 1);
  attributeToInput(node, ctx, 'ends', 2);
  attributeToInput(node, ctx, 'axes', 3);
}

/**
 * Before opset 13 Softmax (and LogSoftmax, Hardmax) flattened the input to 2-D at `axis`; from 13
 * on it normalises along `axis` alone. The two agree when `axis` is the last dimension; otherwise
 * the old meaning is spelled out: Flatten, normalise the last axis, Reshape back.
 */
function convertSoftmax(node: onnx.INodeProto, ctx: UpgradeContext): void {
  const axis = intAttribute(node, 'axis', 1);
  const input = node.input![0];
  const rank = ctx.shapes.rank(input);
  if (axis === -1 || (rank !== undefined && axis === rank - 1)) {
    setIntAttribute(node, 'axis', axis);
    return;
  }
  const { graph } = ctx;
  const base = node.name || node.opType!;
  const flat = graph.uniqueName(`${base}.flat`);
  const normalised = graph.uniqueName(`${base}.normalised`);
  const shape = graph.uniqueName(`${base}.shape`);
  const flatten = makeNode('Flatten', [input], [flat], graph.uniqueName(`${base}.flatten`), [
    intAttr('axis', axis),
  ]);
  const softmax = makeNode(node.opType!, [flat], [normalised], graph.uniqueName(`${base}.last_axis`), [
    intAttr('axis', 1),
  ]);
  const shapeOf = makeNode('Shape', [input], [shape], graph.uniqueName(`${base}.shape_of`));
  const reshape = makeNode(
    'Reshape',
    [normalised, shape],
    [node.output![0]],
    graph.uniqueName(`${base}.reshape`),
  );
  graph.insertBefore(node, flatten, softmax, shapeOf);
  graph.replace(node, reshape);
}

const axesToInput = {
  below: 13,
  apply: (node: onnx.INodeProto, ctx: UpgradeContext) => attributeToInput(node, ctx, 'axes', 1),
};
const softmaxRule: UpgradeRule = { since: 1, convert: { below: 13, apply: convertSoftmax } };
const pool = (since: number): UpgradeRule => ({ since, check: autoPadIsExplicit });

/**
 * Operators whose meaning is unchanged from `since` up to opset 14 (later versions only added
 * types, negative axes or attributes whose default keeps the old behaviour), plus converters for
 * those whose signature changed. An operator missing here stops the upgrade.
 */
const RULES: Record<string, UpgradeRule> = {
  Abs: { since: 6 },
  Add: { since: 7 },
  And: { since: 7 },
  ArgMax: { since: 1 },
  ArgMin: { since: 1 },
  AveragePool: pool(7),
  BatchNormalization: {
    since: 9,
    check: (node) =>
      (node.output ?? []).filter(Boolean).length === 1
        ? undefined
        : 'BatchNormalization with training outputs',
  },
  Cast: { since: 6 },
  Ceil: { since: 6 },
  Clip: { since: 6, check: clipBoundsType, convert: { below: 11, apply: convertClip } },
  Concat: { since: 4 },
  Constant: { since: 1 },
  ConstantOfShape: { since: 9 },
  Conv: { since: 1 },
  ConvTranspose: { since: 1 },
  Cos: { since: 7 },
  DepthToSpace: { since: 1 },
  Div: { since: 7 },
  Einsum: { since: 12 },
  Elu: { since: 6 },
  Equal: { since: 7 },
  Erf: { since: 9 },
  Exp: { since: 6 },
  Expand: { since: 8 },
  Flatten: { since: 1 },
  Floor: { since: 6 },
  Gather: { since: 1 },
  Gemm: { since: 7 },
  GlobalAveragePool: { since: 1 },
  GlobalMaxPool: { since: 1 },
  Greater: { since: 7 },
  GRU: { since: 7 },
  Hardmax: softmaxRule,
  HardSigmoid: { since: 6 },
  HardSwish: { since: 14 },
  Identity: { since: 1 },
  InstanceNormalization: { since: 6 },
  LeakyRelu: { since: 6 },
  Less: { since: 7 },
  Log: { since: 6 },
  LogSoftmax: softmaxRule,
  LRN: { since: 1 },
  LSTM: { since: 7 },
  MatMul: { since: 1 },
  Max: { since: 8 },
  MaxPool: pool(8),
  Mean: { since: 8 },
  Min: { since: 8 },
  Mul: { since: 7 },
  Neg: { since: 6 },
  NonZero: { since: 9 },
  Not: { since: 1 },
  Or: { since: 7 },
  Pad: { since: 11 },
  Pow: { since: 7 },
  PRelu: { since: 7 },
  Range: { since: 11 },
  Reciprocal: { since: 6 },
  ReduceL1: { since: 1 },
  ReduceL2: { since: 1 },
  ReduceLogSum: { since: 1 },
  ReduceLogSumExp: { since: 1 },
  ReduceMax: { since: 1 },
  ReduceMean: { since: 1 },
  ReduceMin: { since: 1 },
  ReduceProd: { since: 1 },
  ReduceSum: { since: 1, convert: axesToInput },
  ReduceSumSquare: { since: 1 },
  Relu: { since: 6 },
  Reshape: { since: 5 },
  Resize: {
    since: 11,
    check: (node) =>
      stringAttribute(node, 'coordinate_transformation_mode') === 'tf_half_pixel_for_nn'
        ? 'Resize with tf_half_pixel_for_nn'
        : undefined,
  },
  RNN: { since: 7 },
  Selu: { since: 6 },
  Shape: { since: 1 },
  Sigmoid: { since: 6 },
  Sin: { since: 7 },
  Size: { since: 1 },
  Slice: { since: 1, convert: { below: 10, apply: convertSlice } },
  Softmax: softmaxRule,
  Softplus: { since: 1 },
  Softsign: { since: 1 },
  SpaceToDepth: { since: 1 },
  Split: { since: 2, convert: { below: 13, apply: (node, ctx) => attributeToInput(node, ctx, 'split', 1) } },
  Sqrt: { since: 6 },
  Squeeze: { since: 1, convert: axesToInput },
  Sub: { since: 7 },
  Sum: { since: 8 },
  Tanh: { since: 6 },
  Tile: { since: 6 },
  TopK: { since: 10 },
  Transpose: { since: 1 },
  Unsqueeze: { since: 1, convert: axesToInput },
  Where: { since: 9 },
  Xor: { since: 7 },
};

export function defaultOpset(model: onnx.IModelProto): number | undefined {
  const entry = (model.opsetImport ?? []).find((o) => isDefaultDomain(o.domain));
  return entry ? toNumber(entry.version) : undefined;
}

/** Why the graph cannot be raised from `from` to the target, or undefined when it can. */
export function upgradeBlocker(graph: OnnxGraph, shapes: ShapeInference, from: number): string | undefined {
  if (graph.hasSubgraphs()) {
    return 'the graph has control-flow subgraphs';
  }
  const ctx: UpgradeContext = { graph, shapes, from };
  for (const node of graph.nodeList) {
    if (!isDefaultDomain(node.domain)) {
      continue;
    }
    const rule = RULES[node.opType ?? ''];
    if (!rule || from < rule.since) {
      return `operator ${node.opType} at opset ${from} has no known upgrade`;
    }
    const problem = rule.check?.(node, ctx);
    if (problem) {
      return problem;
    }
  }
  return undefined;
}

/**
 * Raises the default-domain opset to TARGET_OPSET, rewriting the operators whose signature changed.
 * Callers ask `upgradeBlocker` first: this assumes every node has a rule.
 */
export function upgradeOpset(
  model: onnx.IModelProto,
  graph: OnnxGraph,
  shapes: ShapeInference,
  from: number,
): void {
  const ctx: UpgradeContext = { graph, shapes, from };
  for (const node of [...graph.nodeList]) {
    const convert = isDefaultDomain(node.domain) ? RULES[node.opType ?? '']?.convert : undefined;
    if (convert && from < convert.below) {
      convert.apply(node, ctx);
    }
  }
  for (const entry of model.opsetImport ?? []) {
    if (isDefaultDomain(entry.domain)) {
      entry.version = TARGET_OPSET;
    }
  }
  // IR version 7 is the first that may declare opset 14.
  if (toNumber(model.irVersion) < 7) {
    model.irVersion = 7;
  }
}
