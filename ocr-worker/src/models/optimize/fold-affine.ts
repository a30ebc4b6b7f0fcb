import { onnx } from 'onnx-proto';
import { OnnxGraph } from './onnx-graph';
import {
  float32Tensor,
  floatAttribute,
  isDefaultDomain,
  intAttribute,
  intsAttribute,
  makeNode,
  stringAttribute,
} from './onnx-tensor';
import { ShapeInference } from './shape-inference';

/** Per-channel `value' = scale * value + shift`, composed in float64 and rounded once at the end. */
interface Affine {
  scale: Float64Array;
  shift: Float64Array;
}

interface ConvWeights {
  weight: Float32Array;
  dims: number[];
  bias: Float32Array;
  group: number;
  outChannels: number;
  inChannels: number;
}

function identity(channels: number): Affine {
  return { scale: new Float64Array(channels).fill(1), shift: new Float64Array(channels) };
}

/** `outer ∘ inner`: apply `inner` first. */
function compose(inner: Affine, outer: Affine): Affine {
  return {
    scale: inner.scale.map((s, c) => s * outer.scale[c]),
    shift: inner.shift.map((t, c) => t * outer.scale[c] + outer.shift[c]),
  };
}

/**
 * A float32 constant as one value per channel, for a tensor of `rank` dimensions whose channels
 * sit on axis 1. Any other non-unit dimension, or a higher rank, would broadcast the tensor into
 * a new shape, and then the operation is not a per-channel affine.
 */
function perChannel(
  graph: OnnxGraph,
  name: string,
  rank: number,
  channels: number,
): Float64Array | undefined {
  const constant = graph.floatConstant(name);
  if (!constant || constant.dims.length > rank) {
    return undefined;
  }
  const offset = rank - constant.dims.length;
  const fits = constant.dims.every((dim, i) => dim === 1 || (i + offset === 1 && dim === channels));
  // Infinity or NaN would meet zero weights once folded, and 0 * Infinity is not what the graph computed.
  if (!fits || !constant.values.every(Number.isFinite)) {
    return undefined;
  }
  return constant.values.length === 1
    ? new Float64Array(channels).fill(constant.values[0])
    : Float64Array.from(constant.values);
}

/** BatchNormalization in inference mode is `gamma * (x - mean) / sqrt(var + eps) + beta` per channel. */
function batchNormAffine(graph: OnnxGraph, node: onnx.INodeProto, channels: number): Affine | undefined {
  const outputs = (node.output ?? []).filter(Boolean);
  if (
    outputs.length !== 1 ||
    intAttribute(node, 'training_mode', 0) !== 0 ||
    (node.input ?? []).length !== 5
  ) {
    return undefined;
  }
  const params = (node.input ?? []).slice(1).map((name) => graph.floatConstant(name));
  if (params.some((p) => !p || p.dims.length !== 1 || p.values.length !== channels)) {
    return undefined;
  }
  const [gamma, beta, mean, variance] = params.map((p) => p!.values);
  const epsilon = floatAttribute(node, 'epsilon') ?? 1e-5;
  const scale = new Float64Array(channels).map((_, c) => gamma[c] / Math.sqrt(variance[c] + epsilon));
  const shift = scale.map((s, c) => beta[c] - mean[c] * s);
  return scale.every(Number.isFinite) && shift.every(Number.isFinite) ? { scale, shift } : undefined;
}

/**
 * The affine map a node applies to `flowing` (one of its inputs), when the node is a per-channel
 * affine of it: Mul, Add, Sub or Div by a constant, or an inference BatchNormalization.
 */
function affineStep(
  graph: OnnxGraph,
  node: onnx.INodeProto,
  flowing: string,
  rank: number,
  channels: number,
): Affine | undefined {
  const inputs = node.input ?? [];
  if (!isDefaultDomain(node.domain) || (node.output ?? []).length !== 1) {
    return undefined;
  }
  if (node.opType === 'BatchNormalization') {
    return inputs[0] === flowing ? batchNormAffine(graph, node, channels) : undefined;
  }
  if (inputs.length !== 2 || inputs[0] === inputs[1] || !inputs.includes(flowing)) {
    return undefined;
  }
  const flowingFirst = inputs[0] === flowing;
  const operand = perChannel(graph, flowingFirst ? inputs[1] : inputs[0], rank, channels);
  if (!operand) {
    return undefined;
  }
  const ones = new Float64Array(channels).fill(1);
  switch (node.opType) {
    case 'Mul':
      return { scale: operand, shift: new Float64Array(channels) };
    case 'Add':
      return { scale: ones, shift: operand };
    case 'Sub':
      return flowingFirst
        ? { scale: ones, shift: operand.map((v) => -v) }
        : { scale: ones.map(() => -1), shift: operand };
    case 'Div':
      return flowingFirst && operand.every((v) => v !== 0)
        ? { scale: operand.map((v) => 1 / v), shift: new Float64Array(channels) }
        : undefined;
    default:
      return undefined;
  }
}

function convWeights(graph: OnnxGraph, conv: onnx.INodeProto): ConvWeights | undefined {
  const inputs = conv.input ?? [];
  if (!isDefaultDomain(conv.domain) || (conv.output ?? []).length !== 1 || inputs.length < 2) {
    return undefined;
  }
  const weight = graph.floatConstant(inputs[1]);
  if (!weight || weight.dims.length < 3) {
    return undefined;
  }
  const group = intAttribute(conv, 'group', 1);
  const transposed = conv.opType === 'ConvTranspose';
  const outChannels = transposed ? weight.dims[1] * group : weight.dims[0];
  const inChannels = transposed ? weight.dims[0] : weight.dims[1] * group;
  if (group < 1 || outChannels % group !== 0 || inChannels % group !== 0) {
    return undefined;
  }
  let bias: Float32Array = new Float32Array(outChannels);
  if (inputs[2]) {
    const given = graph.floatConstant(inputs[2]);
    if (!given || given.dims.length !== 1 || given.values.length !== outChannels) {
      return undefined;
    }
    bias = given.values;
  }
  return { weight: weight.values, dims: weight.dims, bias, group, outChannels, inChannels };
}

/** The output channel each weight element contributes to (Conv: [out, in/g, ...]; ConvTranspose: [in, out/g, ...]). */
function outputChannelOf(conv: onnx.INodeProto, w: ConvWeights): (index: number) => number {
  const kernel = w.dims.slice(2).reduce((a, b) => a * b, 1);
  if (conv.opType === 'Conv') {
    return (index) => Math.floor(index / (w.dims[1] * kernel));
  }
  const outPerGroup = w.dims[1];
  const inPerGroup = w.inChannels / w.group;
  return (index) => {
    const inChannel = Math.floor(index / (outPerGroup * kernel));
    const j = Math.floor(index / kernel) % outPerGroup;
    return Math.floor(inChannel / inPerGroup) * outPerGroup + j;
  };
}

function writeWeights(
  graph: OnnxGraph,
  conv: onnx.INodeProto,
  dims: number[],
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
): void {
  const base = conv.name || conv.output?.[0] || 'conv';
  const weightName = graph.addInitializer(float32Tensor(`${base}.folded_weight`, dims, weight));
  const biasName = graph.addInitializer(float32Tensor(`${base}.folded_bias`, [bias.length], bias));
  graph.setInput(conv, 1, weightName);
  graph.setInput(conv, 2, biasName);
}

/**
 * Conv -> (Mul | Add | Sub | Div | BatchNormalization by per-output-channel constants)+ becomes one
 * Conv: every step is exact algebra on the weights and bias. Returns the number of nodes folded.
 */
function foldFollowing(graph: OnnxGraph, conv: onnx.INodeProto): number {
  const w = convWeights(graph, conv);
  if (!w) {
    return 0;
  }
  const rank = w.dims.length;
  let affine = identity(w.outChannels);
  const chain: onnx.INodeProto[] = [];
  let current = conv.output![0];
  for (;;) {
    const next = graph.soleConsumer(current);
    const step = next ? affineStep(graph, next, current, rank, w.outChannels) : undefined;
    if (!next || !step) {
      break;
    }
    affine = compose(affine, step);
    chain.push(next);
    current = next.output![0];
  }
  if (chain.length === 0) {
    return 0;
  }
  const channelOf = outputChannelOf(conv, w);
  const weight = w.weight.map((v, i) => v * affine.scale[channelOf(i)]);
  const bias = Array.from(w.bias, (b, c) => b * affine.scale[c] + affine.shift[c]);
  writeWeights(graph, conv, w.dims, weight, bias);
  graph.remove(...chain);
  graph.setOutput(conv, 0, current);
  return chain.length;
}

function hasPadding(conv: onnx.INodeProto): boolean {
  const autoPad = stringAttribute(conv, 'auto_pad') ?? 'NOTSET';
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    return true;
  }
  return (intsAttribute(conv, 'pads') ?? []).some((p) => p !== 0n);
}

interface PrecedingChain {
  nodes: onnx.INodeProto[];
  source: string;
  affine: Affine;
  /** Every constant was a single value of lower rank than the conv input, so it cannot have reshaped it. */
  shapePreserving: boolean;
}

function precedingChain(
  graph: OnnxGraph,
  conv: onnx.INodeProto,
  rank: number,
  channels: number,
): PrecedingChain | undefined {
  const nodes: onnx.INodeProto[] = [];
  const steps: Affine[] = [];
  let shapePreserving = true;
  let value = conv.input![0];
  let reader = conv;
  for (;;) {
    const producer = graph.producer(value);
    if (!producer || graph.soleConsumer(value) !== reader) {
      break;
    }
    const inputs = producer.input ?? [];
    const flowing = inputs.find((name) => !graph.constant(name));
    const step = flowing ? affineStep(graph, producer, flowing, rank, channels) : undefined;
    if (!flowing || !step) {
      break;
    }
    if (producer.opType !== 'BatchNormalization') {
      // BatchNormalization never broadcasts; a binary op may, unless its constant is a lower-rank scalar.
      const operand = graph.floatConstant(inputs.find((name) => name !== flowing) ?? '');
      shapePreserving &&= operand !== undefined && operand.values.length === 1 && operand.dims.length < rank;
    }
    nodes.unshift(producer);
    steps.unshift(step);
    value = flowing;
    reader = producer;
  }
  if (nodes.length === 0) {
    return undefined;
  }
  return { nodes, source: value, affine: steps.reduce(compose, identity(channels)), shapePreserving };
}

/**
 * (Mul | Add | Sub | Div by per-input-channel constants)+ -> Conv. The scale always folds into the
 * weights. The shift folds into the bias only when the conv does not pad: a padded border sees
 * zeros, not the shift. With padding, `a*x + c` becomes one `Add(x, c/a)` before the scaled conv.
 */
function foldPreceding(graph: OnnxGraph, conv: onnx.INodeProto, shapes: ShapeInference): number {
  const w = convWeights(graph, conv);
  if (!w || conv.opType !== 'Conv') {
    return 0;
  }
  const rank = w.dims.length;
  const chain = precedingChain(graph, conv, rank, w.inChannels);
  if (!chain) {
    return 0;
  }
  const sourceDims = shapes.get(chain.source).dims;
  const sourceFits = sourceDims?.length === rank && sourceDims[1] === w.inChannels;
  if (!sourceFits && !chain.shapePreserving) {
    return 0;
  }
  const { scale, shift } = chain.affine;
  const padded = hasPadding(conv) && shift.some((t) => t !== 0);
  if (padded && (chain.nodes.length < 2 || scale.some((s) => s === 0))) {
    return 0;
  }
  const kernel = w.dims.slice(2).reduce((a, b) => a * b, 1);
  const inPerGroup = w.dims[1];
  const outPerGroup = w.outChannels / w.group;
  const inputChannelOf = (index: number): number => {
    const out = Math.floor(index / (inPerGroup * kernel));
    const local = Math.floor(index / kernel) % inPerGroup;
    return Math.floor(out / outPerGroup) * inPerGroup + local;
  };
  const weight = w.weight.map((v, i) => v * scale[inputChannelOf(i)]);
  const bias = Float64Array.from(w.bias);
  if (!padded) {
    w.weight.forEach((v, i) => (bias[Math.floor(i / (inPerGroup * kernel))] += v * shift[inputChannelOf(i)]));
  }
  writeWeights(graph, conv, w.dims, weight, bias);
  const last = chain.nodes[chain.nodes.length - 1];
  if (!padded) {
    graph.remove(...chain.nodes);
    graph.setInput(conv, 0, chain.source);
    return chain.nodes.length;
  }
  const offsetDims = [1, w.inChannels, ...new Array<number>(rank - 2).fill(1)];
  const offsetName = graph.addInitializer(
    float32Tensor(
      `${conv.name || 'conv'}.input_offset`,
      offsetDims,
      shift.map((t, c) => t / scale[c]),
    ),
  );
  const add = makeNode(
    'Add',
    [chain.source, offsetName],
    [last.output![0]],
    graph.uniqueName(`${last.name || 'affine'}.offset`),
  );
  graph.replace(last, add);
  graph.remove(...chain.nodes.slice(0, -1));
  return chain.nodes.length - 1;
}

/** Folds every per-channel affine chain into its neighbouring Conv; returns the number of nodes folded. */
export function foldAffineIntoConv(graph: OnnxGraph, shapes: ShapeInference): number {
  let folded = 0;
  for (const node of [...graph.nodeList]) {
    if (node.opType === 'Conv' || node.opType === 'ConvTranspose') {
      folded += foldFollowing(graph, node);
    }
  }
  for (const node of [...graph.nodeList]) {
    if (node.opType === 'Conv') {
      folded += foldPreceding(graph, node, shapes);
    }
  }
  return folded;
}
