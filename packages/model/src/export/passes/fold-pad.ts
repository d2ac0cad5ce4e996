/**
 * Merges a zero Pad (Keras ZeroPadding2D) into the Conv that consumes it, as MobileNet's
 * stride-2 blocks do: the convolution pads by itself, so one feature-map copy disappears.
 * MaxPool is left alone: ONNX pads it with -inf, Keras' ZeroPadding2D with zeros.
 */
import type { OnnxGraphBuilder } from '../graph-builder.js';

export function foldPadIntoConv(b: OnnxGraphBuilder, graphOutputs: readonly string[]): number {
  let folded = 0;
  for (const pad of [...b.nodes]) {
    if (pad.opType !== 'Pad' || pad.inputs.length > 2) continue;
    const mode = pad.attributes.find((a) => a.name === 'mode')?.s;
    if (mode && new TextDecoder().decode(mode) !== 'constant') continue;
    const y = pad.outputs[0] as string;
    const consumers = b.consumersOf(y);
    const conv = consumers[0];
    if (consumers.length !== 1 || !conv || conv.opType !== 'Conv' || graphOutputs.includes(y)) continue;
    const convPads = conv.attributes.find((a) => a.name === 'pads');
    const padsInit = b.initializers.get(pad.inputs[1] as string);
    if (!convPads?.ints || !padsInit || !(padsInit.data instanceof BigInt64Array)) continue;
    const p = [...padsInit.data].map(Number);
    if (p.length !== 8 || p[0] !== 0 || p[1] !== 0 || p[4] !== 0 || p[5] !== 0) continue;
    const [top, left, bottom, right] = [p[2], p[3], p[6], p[7]] as [number, number, number, number];
    const c = convPads.ints;
    convPads.ints = [(c[0] ?? 0) + top, (c[1] ?? 0) + left, (c[2] ?? 0) + bottom, (c[3] ?? 0) + right];
    conv.inputs[0] = pad.inputs[0] as string;
    b.nodes.splice(b.nodes.indexOf(pad), 1);
    folded++;
  }
  return folded;
}
