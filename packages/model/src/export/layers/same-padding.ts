/**
 * TensorFlow's padding rules as explicit ONNX pads. TF `same` pads so that
 * out = ceil(in / stride) and puts the odd pixel at the END (bottom/right); with stride 2 on
 * an even input this is asymmetric, which ONNX `auto_pad=SAME_UPPER` also does, but explicit
 * pads keep the graph valid for every runtime and let later passes fold ZeroPadding2D in.
 */
export type TfPadding = 'same' | 'valid';

export function samePads1d(
  input: number,
  kernel: number,
  stride: number,
  dilation: number,
): [number, number] {
  const effectiveKernel = (kernel - 1) * dilation + 1;
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + effectiveKernel - input, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * ONNX `pads` ([top, left, bottom, right]) for a 2-D window op, or null when the spatial size
 * is unknown and `same` must fall back to `auto_pad = SAME_UPPER`.
 */
export function explicitPads(
  padding: string,
  input: [number | null, number | null],
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number] = [1, 1],
): number[] | null {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') throw new Error(`padding "${padding}" is not supported (use "same" or "valid")`);
  const [h, w] = input;
  if (h === null || w === null) return null;
  const [top, bottom] = samePads1d(h, kernel[0], strides[0], dilation[0]);
  const [left, right] = samePads1d(w, kernel[1], strides[1], dilation[1]);
  return [top, left, bottom, right];
}
