import { onnx } from 'onnx-proto';
import type Long from 'long';

export const DataType = onnx.TensorProto.DataType;
export const AttributeType = onnx.AttributeProto.AttributeType;

/** The rewrite refuses a model it cannot read exactly; the message never names a file. */
export class OnnxRewriteError extends Error {
  override readonly name = 'OnnxRewriteError';
}

type Int64 = number | Long;

/** The standard operator set, which the rewrites know; nodes of other domains are left alone. */
export function isDefaultDomain(domain: string | null | undefined): boolean {
  return (domain ?? '') === '' || domain === 'ai.onnx';
}

export function toNumber(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) {
    return 0;
  }
  return typeof value === 'number' ? value : value.toNumber();
}

/** int64 attributes such as Slice's `ends` hold INT64_MAX, which a JS number cannot carry. */
function toBigInt(value: Int64): bigint {
  return typeof value === 'number' ? BigInt(value) : BigInt(value.toString());
}

export function tensorDims(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map(toNumber);
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((count, dim) => count * dim, 1);
}

function isExternal(tensor: onnx.ITensorProto): boolean {
  return tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}

function rawView(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** The values of a float32 tensor, or undefined when it holds another type or lives outside the file. */
export function readFloat32(tensor: onnx.ITensorProto): Float32Array | undefined {
  if (tensor.dataType !== DataType.FLOAT || isExternal(tensor)) {
    return undefined;
  }
  const count = elementCount(tensorDims(tensor));
  const raw = tensor.rawData;
  if (raw && raw.byteLength > 0) {
    if (raw.byteLength !== count * 4) {
      return undefined;
    }
    // DataView, not a Float32Array over the buffer: protobuf slices are not 4-byte aligned.
    const view = rawView(raw);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      values[i] = view.getFloat32(i * 4, true);
    }
    return values;
  }
  const data = tensor.floatData ?? [];
  return data.length === count ? Float32Array.from(data) : undefined;
}

/** The values of an int64 or int32 tensor, or undefined for any other type. */
export function readIntegers(tensor: onnx.ITensorProto): bigint[] | undefined {
  if (isExternal(tensor)) {
    return undefined;
  }
  const count = elementCount(tensorDims(tensor));
  const raw = tensor.rawData;
  const hasRaw = raw !== null && raw !== undefined && raw.byteLength > 0;
  if (tensor.dataType === DataType.INT64) {
    if (hasRaw) {
      if (raw.byteLength !== count * 8) {
        return undefined;
      }
      const view = rawView(raw);
      return Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true));
    }
    const data = tensor.int64Data ?? [];
    return data.length === count ? data.map(toBigInt) : undefined;
  }
  if (tensor.dataType === DataType.INT32) {
    if (hasRaw) {
      if (raw.byteLength !== count * 4) {
        return undefined;
      }
      const view = rawView(raw);
      return Array.from({ length: count }, (_, i) => BigInt(view.getInt32(i * 4, true)));
    }
    const data = tensor.int32Data ?? [];
    return data.length === count ? data.map((v) => BigInt(v)) : undefined;
  }
  return undefined;
}

export function float32Tensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number>,
): onnx.TensorProto {
  if (values.length !== elementCount(dims)) {
    throw new OnnxRewriteError(`a tensor of shape [${dims.join(',')}] cannot hold ${values.length} values`);
  }
  const raw = new Uint8Array(values.length * 4);
  const view = rawView(raw);
  for (let i = 0; i < values.length; i++) {
    view.setFloat32(i * 4, values[i], true);
  }
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw });
}

export function float64Tensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number>,
): onnx.TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = rawView(raw);
  for (let i = 0; i < values.length; i++) {
    view.setFloat64(i * 8, values[i], true);
  }
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.DOUBLE, rawData: raw });
}

export function int64Tensor(
  name: string,
  dims: readonly number[],
  values: readonly bigint[],
): onnx.TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = rawView(raw);
  values.forEach((value, i) => view.setBigInt64(i * 8, value, true));
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.INT64, rawData: raw });
}

// ---- attributes -------------------------------------------------------------------------------

export function findAttribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function intAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const attr = findAttribute(node, name);
  return attr ? toNumber(attr.i) : fallback;
}

export function floatAttribute(node: onnx.INodeProto, name: string): number | undefined {
  const attr = findAttribute(node, name);
  return attr ? (attr.f ?? 0) : undefined;
}

export function intsAttribute(node: onnx.INodeProto, name: string): bigint[] | undefined {
  const attr = findAttribute(node, name);
  return attr ? (attr.ints ?? []).map(toBigInt) : undefined;
}

export function stringAttribute(node: onnx.INodeProto, name: string): string | undefined {
  const attr = findAttribute(node, name);
  return attr ? Buffer.from(attr.s ?? new Uint8Array()).toString('utf8') : undefined;
}

export function removeAttribute(node: onnx.INodeProto, name: string): void {
  node.attribute = (node.attribute ?? []).filter((a) => a.name !== name);
}

export function setIntAttribute(node: onnx.INodeProto, name: string, value: number): void {
  removeAttribute(node, name);
  node.attribute = [
    ...(node.attribute ?? []),
    onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value }),
  ];
}

export function intAttr(name: string, value: number): onnx.AttributeProto {
  return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
}

export function floatAttr(name: string, value: number): onnx.AttributeProto {
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value });
}

export function intsAttr(name: string, values: readonly number[]): onnx.AttributeProto {
  return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: [...values] });
}

export function tensorAttr(name: string, tensor: onnx.ITensorProto): onnx.AttributeProto {
  return onnx.AttributeProto.create({ name, type: AttributeType.TENSOR, t: tensor });
}

export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attributes: onnx.IAttributeProto[] = [],
): onnx.NodeProto {
  return onnx.NodeProto.create({
    opType,
    input: [...inputs],
    output: [...outputs],
    name,
    attribute: attributes,
  });
}
