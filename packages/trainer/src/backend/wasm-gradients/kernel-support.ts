/**
 * Shared plumbing for the wasm gradient kernels: calling other wasm kernels directly (so the work
 * runs in XNNPACK/SIMD code instead of JS), zero-copy views of wasm heap memory, and conv geometry
 * from tfjs's own `computeConv2DInfo` so padding/stride rounding matches the cpu backend exactly.
 */

import type * as Tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tfjs.js';

export type TensorInfo = Tf.TensorInfo;
export type NamedAttrMap = Tf.NamedAttrMap;
/** What tfjs passes to a kernelFunc (its backend typed loosely; ours is always BackendWasm). */
export type KernelArgs = Parameters<Tf.KernelFunc>[0];

/** Runs a kernel already registered for 'wasm' (e.g. BatchMatMul) on tensor infos, no engine. */
export function runWasmKernel(
  name: string,
  backend: BackendWasm,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm ${name} returned several outputs`);
  return out;
}

/** Drops one reference to an intermediate result (reshape shares data and only bumps a count). */
export function release(backend: BackendWasm, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/**
 * A Float32Array view straight onto the wasm heap. Views die when the heap grows, so take them
 * only after every allocation the kernel needs has been made.
 */
export function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected float32, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export type Pad = 'valid' | 'same' | number | Tf.backend_util.ExplicitPadding;

/** Geometry of an NHWC conv; throws a clear error for NCHW, which Ferry never produces. */
export function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
  dataFormat: string | undefined,
): Tf.backend_util.Conv2DInfo {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`wasm gradient kernels support NHWC only, got dataFormat=${dataFormat}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}
