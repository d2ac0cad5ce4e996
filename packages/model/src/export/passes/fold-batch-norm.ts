/**
 * Folds an inference BatchNormalization into the convolution that feeds it:
 * W' = W * s, b' = b * s + (beta - mean * s), with s = gamma / sqrt(var + eps) per output
 * channel. Saves a full pass over every feature map (MobileNetV2 has 52 of them).
 */
import type { GraphNode, OnnxGraphBuilder } from '../graph-builder.js';

function floatAttr(node: GraphNode, name: string, fallback: number): number {
  return node.attributes.find((a) => a.name === name)?.f ?? fallback;
}

export function foldBatchNormIntoConv(b: OnnxGraphBuilder, graphOutputs: readonly string[]): number {
  let folded = 0;
  for (const bn of [...b.nodes]) {
    if (bn.opType !== 'BatchNormalization') continue;
    const x = bn.inputs[0] as string;
    const conv = b.producerOf(x);
    if (conv?.opType !== 'Conv' || graphOutputs.includes(x) || b.consumersOf(x).length !== 1) continue;
    const weight = b.floatInitializer(conv.inputs[1] as string);
    const params = bn.inputs.slice(1).map((n) => b.floatInitializer(n));
    if (!weight || params.some((p) => !p)) continue;
    // A weight shared with another node cannot be rescaled for just this one.
    if (b.consumersOf(weight.name).length !== 1) continue;
    const [gamma, beta, mean, variance] = params.map((p) => p?.data as Float32Array) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const epsilon = floatAttr(bn, 'epsilon', 1e-5);
    const outChannels = weight.dims[0] as number;
    const perChannel = weight.data.length / outChannels;
    const oldBias = conv.inputs[2] ? b.floatInitializer(conv.inputs[2])?.data : undefined;
    const newWeight = new Float32Array(weight.data.length);
    const newBias = new Float32Array(outChannels);
    for (let c = 0; c < outChannels; c++) {
      const s = (gamma[c] as number) / Math.sqrt((variance[c] as number) + epsilon);
      for (let k = 0; k < perChannel; k++) {
        const i = c * perChannel + k;
        newWeight[i] = (weight.data[i] as number) * s;
      }
      newBias[c] =
        ((oldBias?.[c] as number | undefined) ?? 0) * s + (beta[c] as number) - (mean[c] as number) * s;
    }
    weight.data = newWeight;
    const biasName = b.addFloats(`${conv.name}/B_folded`, newBias, [outChannels]);
    conv.inputs = [conv.inputs[0] as string, weight.name, biasName];
    conv.outputs = [bn.outputs[0] as string];
    b.nodes.splice(b.nodes.indexOf(bn), 1);
    folded++;
  }
  return folded;
}
