/**
 * A small mutable ONNX graph: nodes, initializers (kept as typed arrays so optimisation passes
 * can fold numbers) and tensor bookkeeping. Converters append to it; passes rewrite it; the
 * encoder turns it into protobuf at the very end.
 */
import {
  type AttributeProtoObject,
  AttributeType,
  type NodeProtoObject,
  OnnxDataType,
  type TensorProtoObject,
} from './onnx-proto.js';

/**
 * How a tensor is laid out in the ONNX graph. Keras is channels-last; ONNX convolutions are
 * channels-first, so every 4-D feature map lives in the graph as NCHW (`nchw`) while its Keras
 * shape stays NHWC. Everything else keeps Keras' order (`plain`).
 */
export type TensorLayout = 'nchw' | 'plain';

export interface GraphTensor {
  name: string;
  layout: TensorLayout;
  /** Keras-order shape, batch first (null = unknown/dynamic). */
  shape: Array<number | null>;
}

export type InitializerData = Float32Array | Uint16Array | Int8Array | BigInt64Array;

export interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
  data: InitializerData;
}

export interface GraphNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProtoObject[];
}

export const attr = {
  int: (name: string, i: number): AttributeProtoObject => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: number[]): AttributeProtoObject => ({ name, type: AttributeType.INTS, ints }),
  float: (name: string, f: number): AttributeProtoObject => ({ name, type: AttributeType.FLOAT, f }),
  floats: (name: string, floats: number[]): AttributeProtoObject => ({
    name,
    type: AttributeType.FLOATS,
    floats,
  }),
  string: (name: string, s: string): AttributeProtoObject => ({
    name,
    type: AttributeType.STRING,
    s: new TextEncoder().encode(s),
  }),
};

export class OnnxGraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  private readonly used = new Set<string>();

  constructor(readonly opset: number) {}

  /** A graph-unique tensor/node name derived from `base`. */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 't';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    if (this.used.has(name)) throw new Error(`tensor name "${name}" is already used in the graph`);
    this.used.add(name);
  }

  addInitializer(base: string, data: InitializerData, dims: number[], dataType?: number): string {
    const name = this.uniqueName(base);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(',')}]`);
    }
    this.initializers.set(name, { name, dims, data, dataType: dataType ?? dataTypeOf(data) });
    return name;
  }

  addFloats(base: string, values: ArrayLike<number>, dims: number[]): string {
    return this.addInitializer(base, Float32Array.from(values), dims, OnnxDataType.FLOAT);
  }

  addInt64s(base: string, values: number[]): string {
    return this.addInitializer(
      base,
      BigInt64Array.from(values.map(BigInt)),
      [values.length],
      OnnxDataType.INT64,
    );
  }

  /** Appends a node and returns its output names (fresh unique names unless given). */
  addNode(
    opType: string,
    inputs: string[],
    options: { name?: string; attributes?: AttributeProtoObject[]; outputs?: number | string[] } = {},
  ): string[] {
    const nodeName = this.uniqueName(options.name ?? opType);
    const outputs =
      typeof options.outputs === 'object'
        ? options.outputs
        : Array.from({ length: options.outputs ?? 1 }, (_, i) =>
            this.uniqueName(i === 0 ? `${nodeName}_out` : `${nodeName}_out${i}`),
          );
    this.nodes.push({ name: nodeName, opType, inputs, outputs, attributes: options.attributes ?? [] });
    return outputs;
  }

  /** Convenience for single-output nodes. */
  op(opType: string, inputs: string[], name?: string, attributes: AttributeProtoObject[] = []): string {
    return this.addNode(opType, inputs, { name, attributes })[0] as string;
  }

  producerOf(tensor: string): GraphNode | undefined {
    return this.nodes.find((n) => n.outputs.includes(tensor));
  }

  consumersOf(tensor: string): GraphNode[] {
    return this.nodes.filter((n) => n.inputs.includes(tensor));
  }

  /** Renames a tensor everywhere (used to give the final tensor its public name). */
  renameTensor(from: string, to: string): void {
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((n) => (n === from ? to : n));
      node.outputs = node.outputs.map((n) => (n === from ? to : n));
    }
    const init = this.initializers.get(from);
    if (init) {
      this.initializers.delete(from);
      this.initializers.set(to, { ...init, name: to });
    }
  }

  /** Drops nodes that feed nothing reachable from `outputs`, then unused initializers. */
  prune(outputs: string[]): void {
    const live = new Set(outputs);
    const keep = new Set<GraphNode>();
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i] as GraphNode;
      if (node.outputs.some((o) => live.has(o))) {
        keep.add(node);
        for (const input of node.inputs) if (input) live.add(input);
      }
    }
    const kept = this.nodes.filter((n) => keep.has(n));
    this.nodes.length = 0;
    this.nodes.push(...kept);
    for (const name of [...this.initializers.keys()]) if (!live.has(name)) this.initializers.delete(name);
  }

  /** Float weights of an initializer, for passes that fold numbers. */
  floatInitializer(name: string): Initializer | undefined {
    const init = this.initializers.get(name);
    return init && init.dataType === OnnxDataType.FLOAT ? init : undefined;
  }

  toNodeProtos(): NodeProtoObject[] {
    return this.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      input: n.inputs,
      output: n.outputs,
      attribute: n.attributes,
    }));
  }

  toTensorProtos(): TensorProtoObject[] {
    return [...this.initializers.values()].map((init) => ({
      name: init.name,
      dims: init.dims,
      dataType: init.dataType,
      // ONNX raw_data is little-endian, like every platform Node and browsers run on.
      rawData: new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength),
    }));
  }
}

function dataTypeOf(data: InitializerData): number {
  if (data instanceof Float32Array) return OnnxDataType.FLOAT;
  if (data instanceof Uint16Array) return OnnxDataType.FLOAT16;
  if (data instanceof Int8Array) return OnnxDataType.INT8;
  return OnnxDataType.INT64;
}

/** Keras axis (NHWC order, possibly negative) -> ONNX axis for a tensor of the given layout. */
export function onnxAxis(tensor: GraphTensor, kerasAxis: number): number {
  const rank = tensor.shape.length;
  const axis = kerasAxis < 0 ? rank + kerasAxis : kerasAxis;
  if (axis < 0 || axis >= rank) throw new Error(`axis ${kerasAxis} is out of range for rank ${rank}`);
  if (tensor.layout !== 'nchw') return axis;
  return [0, 2, 3, 1][axis] as number;
}

/** Brings an `nchw` tensor back to Keras' NHWC order (no-op for plain tensors). */
export function toKerasOrder(b: OnnxGraphBuilder, t: GraphTensor, name: string): GraphTensor {
  if (t.layout !== 'nchw') return t;
  const out = b.op('Transpose', [t.name], `${name}/to_nhwc`, [attr.ints('perm', [0, 2, 3, 1])]);
  return { name: out, layout: 'plain', shape: t.shape };
}

/** Gives a 4-D Keras-order tensor the graph's NCHW layout; other ranks stay plain. */
export function fromKerasOrder(b: OnnxGraphBuilder, t: GraphTensor, name: string): GraphTensor {
  if (t.layout === 'nchw' || t.shape.length !== 4) return t;
  const out = b.op('Transpose', [t.name], `${name}/to_nchw`, [attr.ints('perm', [0, 3, 1, 2])]);
  return { name: out, layout: 'nchw', shape: t.shape };
}
