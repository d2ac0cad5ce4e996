/**
 * Weight-only compression of an exported graph. Activations and arithmetic stay float32 (so
 * every runtime, including onnxruntime-web's wasm kernels, runs it unchanged); only the stored
 * weights shrink:
 * - fp16: each large float initializer is stored as float16 and Cast back to float32;
 * - int8: large conv / dense weights are quantized symmetrically per output channel and
 *   restored with DequantizeLinear (axis = output channel), the scheme ONNX Runtime's tools call
 *   weight-only per-channel quantization; the remaining float tensors are stored as fp16.
 */
import { attr, type OnnxGraphBuilder } from '../graph-builder.js';
import { OnnxDataType } from '../onnx-proto.js';
import { OPEN_SET_PREFIX } from '../open-set-graph.js';
import { toFloat16Array } from './float16.js';

export type Precision = 'fp32' | 'fp16' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8'];

/** Tensors smaller than this are not worth a Cast/DequantizeLinear node. */
const MIN_ELEMENTS = 64;

/**
 * int8 is for big weight tensors only. Small ones (MobileNet's first blocks, with 16-64
 * channels) hold few bytes, but their rounding errors travel through the whole network: on the
 * ants/bees run, quantizing everything cost 1.3 points of val accuracy (149/153 top-1 agreement
 * with fp32); storing tensors under 2048 values as fp16 instead kept it (151/153 agree, same
 * accuracy) for 3% more file.
 */
const MIN_INT8_ELEMENTS = 2048;

export function applyWeightPrecision(b: OnnxGraphBuilder, precision: Precision): void {
  if (precision === 'fp16') toFp16(b);
  else if (precision === 'int8') {
    toInt8(b);
    toFp16(b);
  }
}

function toFp16(b: OnnxGraphBuilder): void {
  const casts = [];
  for (const init of [...b.initializers.values()]) {
    if (init.dataType !== OnnxDataType.FLOAT || init.data.length < MIN_ELEMENTS) continue;
    // int8 scales stay float32: they multiply every weight of their channel.
    if (b.consumersOf(init.name).some((n) => n.opType === 'DequantizeLinear')) continue;
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
      if (axis === undefined || !init || init.data.length < MIN_INT8_ELEMENTS || init.dims.length < 2) return;
      // Open-set banks and whitening matrices feed a distance, not a logit: per-channel int8
      // rounding moves every score by a different amount, so they keep fp16 (see toFp16).
      if (init.name.startsWith(OPEN_SET_PREFIX)) return;
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

/**
 * Symmetric int8 per channel. The scale is not simply max|w| / 127: one outlier weight would
 * waste most of the 255 levels on the rest of the channel, so each channel tries clipping at
 * 100%, 98%, ... 50% of max|w| and keeps the scale with the least squared rounding error.
 */
export function quantizePerChannel(
  values: Float32Array,
  dims: number[],
  axis: number,
): { q: Int8Array; scales: Float32Array } {
  const channels = dims[axis] as number;
  const inner = dims.slice(axis + 1).reduce((a, v) => a * v, 1);
  const outer = values.length / (channels * inner);
  // Indices of each channel's values, gathered once (channels are strided for axis > 0).
  const members: number[][] = Array.from({ length: channels }, () => []);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let k = 0; k < inner; k++) (members[c] as number[]).push(base + k);
    }
  }
  const scales = new Float32Array(channels);
  const q = new Int8Array(values.length);
  const quantize = (v: number, scale: number) => Math.max(-127, Math.min(127, Math.round(v / scale)));
  for (let c = 0; c < channels; c++) {
    const idx = members[c] as number[];
    let maxAbs = 0;
    for (const i of idx) maxAbs = Math.max(maxAbs, Math.abs(values[i] as number));
    if (maxAbs === 0) {
      scales[c] = 1;
      continue;
    }
    let best = maxAbs / 127;
    let bestError = Number.POSITIVE_INFINITY;
    for (let step = 0; step <= 25; step++) {
      const scale = Math.fround((maxAbs * (1 - step * 0.02)) / 127);
      let error = 0;
      for (const i of idx) {
        const v = values[i] as number;
        const d = v - quantize(v, scale) * scale;
        error += d * d;
      }
      if (error < bestError) {
        bestError = error;
        best = scale;
      }
    }
    scales[c] = best;
    for (const i of idx) q[i] = quantize(values[i] as number, best);
  }
  return { q, scales };
}
