/** Pieces shared by the convolution converters: kernel re-layout and the Conv node itself. */
import { attr, type GraphTensor } from '../graph-builder.js';
import { explicitPads } from './same-padding.js';
import { type LayerContext, pair, UnsupportedLayerError } from './types.js';

/** Keras conv kernel [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
export function kerasKernelToOnnx(
  values: Float32Array,
  shape: number[],
): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const data = new Float32Array(values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) {
          data[((o * cin + c) * kh + i) * kw + j] = values[((i * kw + j) * cin + c) * cout + o] as number;
        }
  return { data, dims: [cout, cin, kh, kw] };
}

/** Keras depthwise kernel [kh, kw, in, mult] -> ONNX grouped weights [in*mult, 1, kh, kw]. */
export function depthwiseKernelToOnnx(
  values: Float32Array,
  shape: number[],
): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, mult] = shape as [number, number, number, number];
  const data = new Float32Array(values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let m = 0; m < mult; m++) {
          // TF orders depthwise outputs channel-major: output channel = c * mult + m.
          data[((c * mult + m) * kh + i) * kw + j] = values[((i * kw + j) * cin + c) * mult + m] as number;
        }
  return { data, dims: [cin * mult, 1, kh, kw] };
}

export interface ConvOptions {
  weights: { data: Float32Array; dims: number[] };
  bias?: Float32Array;
  group: number;
  /** Override the layer's own strides (separable's pointwise step uses 1x1). */
  strides?: [number, number];
  kernel?: [number, number];
  padding?: string;
  dilation?: [number, number];
  suffix?: string;
}

export function emitConv(ctx: LayerContext, x: GraphTensor, o: ConvOptions): GraphTensor {
  const { b, config, name } = ctx;
  const kernel = o.kernel ?? pair(config.kernelSize, 1);
  const strides = o.strides ?? pair(config.strides, 1);
  const dilation = o.dilation ?? pair(config.dilationRate, 1);
  const padding = o.padding ?? String(config.padding ?? 'valid');
  if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    throw new UnsupportedLayerError(ctx.className, name, 'strides > 1 together with dilation > 1', config);
  }
  let pads: number[] | null;
  try {
    pads = explicitPads(padding, [x.shape[1] ?? null, x.shape[2] ?? null], kernel, strides, dilation);
  } catch (error) {
    throw new UnsupportedLayerError(ctx.className, name, (error as Error).message, config);
  }
  const base = `${name}${o.suffix ?? ''}`;
  const inputs = [x.name, b.addInitializer(`${base}/W`, o.weights.data, o.weights.dims)];
  if (o.bias) inputs.push(b.addFloats(`${base}/B`, o.bias, [o.bias.length]));
  const attributes = [
    attr.ints('kernel_shape', kernel),
    attr.ints('strides', strides),
    attr.ints('dilations', dilation),
    attr.int('group', o.group),
    pads ? attr.ints('pads', pads) : attr.string('auto_pad', 'SAME_UPPER'),
  ];
  const out = b.op('Conv', inputs, base, attributes);
  return { name: out, layout: 'nchw', shape: ctx.outputShapes[0] ?? [] };
}
