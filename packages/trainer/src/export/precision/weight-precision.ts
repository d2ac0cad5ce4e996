/**
 * Weight-only compression of an exported graph. Activations and arithmetic stay float32 (so
 * every runtime, including onnxruntime-web's wasm kernels, runs it unchanged); only the stored
 * weights shrink:
 * - fp16: each large float initializer is stored as float16 and Cast back to float32;
 * - int8: conv / dense weights are quantized symmetrically per output channel and restored
 *   with DequantizeLinear (axis = output channel), the scheme ONNX Runtime's tools call
 *   weight-only per-channel quantization.
 */
import { attr, type OnnxGraphBuilder } from '../graph-builder.js';
import { OnnxDataType } from '../onnx-proto.js';
import { toFloat16Array } from './float16.js';

export type Precision = 'fp32' | 'fp16' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8'];

/** Tensors smaller than this are not worth a Cast/DequantizeLinear node. */
const MIN_ELEMENTS = 64;

export function applyWeightPrecision(b: OnnxGraphBuilder, precision: Precision): void {
  if (precision === 'fp16') toFp16(b);
  else if (precision === 'int8') toInt8(b);
}

function toFp16(b: OnnxGraphBuilder): void {
  const casts = [];
  for (const init of [...b.initializers.values()]) {
    if (init.dataType !== OnnxDataType.FLOAT || init.data.length < MIN_ELEMENTS) continue;
    const stored = b.addInitializer(
      `${init.name}_fp16`,
      toFloat16Array(init.data as Float32Array),
      init.dims,
      OnnxDataType.FLOAT16,
    );
    b.initializers.delete(init.name);
    casts.push({ from: stored, to: init.name });
  }
  const nodes = casts.map(({ from, to }) => {
    b.addNode('Cast', [from], {
      name: `${to}/cast`,
      outputs: [to],
      attributes: [attr.int('to', OnnxDataType.FLOAT)],
    });
    return b.nodes.pop() as (typeof b.nodes)[number];
  });
  b.nodes.unshift(...nodes);
}

/** Which input of which op is a weight, and along which axis its output channels run. */
function weightAxis(opType: string, inputIndex: number, transB: number): number | undefined {
  if (inputIndex !== 1) return undefined;
  if (opType === 'Conv') return 0; // [out, in/group, kh, kw]
  if (opType === 'Gemm') return transB ? 0 : 1; // [K, M] -> per column
  if (opType === 'MatMul') return 1;
  return undefined;
}

function toInt8(b: OnnxGraphBuilder): void {
  const dequantize: Array<{ inputs: string[]; output: string; axis: number }> = [];
  for (const node of b.nodes) {
    const transB = node.attributes.find((a) => a.name === 'transB')?.i ?? 0;
    node.inputs.forEach((input, index) => {
      const axis = weightAxis(node.opType, index, Number(transB));
      const init = axis === undefined ? undefined : b.floatInitializer(input);
      if (axis === undefined || !init || init.data.length < MIN_ELEMENTS || init.dims.length < 2) return;
      if (b.consumersOf(init.name).length !== 1) return;
      const { q, scales } = quantizePerChannel(init.data as Float32Array, init.dims, axis);
      const channels = init.dims[axis] as number;
      const qName = b.addInitializer(`${init.name}_int8`, q, init.dims, OnnxDataType.INT8);
      const scaleName = b.addFloats(`${init.name}_scale`, scales, [channels]);
      const zeroName = b.addInitializer(
        `${init.name}_zero`,
        new Int8Array(channels),
        [channels],
        OnnxDataType.INT8,
      );
      b.initializers.delete(init.name);
      dequantize.push({ inputs: [qName, scaleName, zeroName], output: init.name, axis });
    });
  }
  const nodes = dequantize.map(({ inputs, output, axis }) => {
    b.addNode('DequantizeLinear', inputs, {
      name: `${output}/dequantize`,
      outputs: [output],
      attributes: [attr.int('axis', axis)],
    });
    return b.nodes.pop() as (typeof b.nodes)[number];
  });
  b.nodes.unshift(...nodes);
}

/** Symmetric int8 per channel: scale = max|w| / 127, q = round(w / scale). */
export function quantizePerChannel(
  values: Float32Array,
  dims: number[],
  axis: number,
): { q: Int8Array; scales: Float32Array } {
  const channels = dims[axis] as number;
  const inner = dims.slice(axis + 1).reduce((a, v) => a * v, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c] as number, Math.abs(values[i] as number));
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round((values[i] as number) / (scales[channelOf(i)] as number));
    q[i] = Math.max(-127, Math.min(127, v));
  }
  return { q, scales };
}
