/**
 * Keeps Keras' ZeroPadding2D -> MaxPooling2D exact in onnxruntime. The graph `Pad(0) -> MaxPool`
 * is correct ONNX, but onnxruntime's PadFusion (1.30, every optimization level above
 * "disabled") folds the zero Pad into MaxPool's own pads, which pad with -inf: windows at the
 * border then return negative values where Keras returns 0. Measured: max difference 0.94 on a
 * random input. The fusion only fires for a zero pad value, so the pad is done on x + 1 with
 * value 1 and the 1 is taken off after pooling (max commutes with adding a constant).
 * Non-negative inputs (after Relu, or a Clip at min >= 0, as in ResNet's pool1_pad) are left alone:
 * there the two paddings agree.
 */
import type { GraphNode, OnnxGraphBuilder } from '../graph-builder.js';

function isNonNegative(b: OnnxGraphBuilder, producer: GraphNode | undefined): boolean {
  if (!producer) return false;
  if (producer.opType === 'Relu') return true;
  if (producer.opType !== 'Clip') return false;
  const min = producer.inputs[1] ? b.initializers.get(producer.inputs[1]) : undefined;
  return min?.data instanceof Float32Array && min.data.length === 1 && (min.data[0] as number) >= 0;
}

export function guardPadBeforeMaxPool(b: OnnxGraphBuilder): number {
  let guarded = 0;
  for (const pad of [...b.nodes]) {
    if (pad.opType !== 'Pad') continue;
    const consumers = b.consumersOf(pad.outputs[0] as string);
    const pool = consumers[0];
    if (consumers.length !== 1 || pool?.opType !== 'MaxPool') continue;
    const x = pad.inputs[0] as string;
    if (isNonNegative(b, b.producerOf(x))) continue;
    const one = b.addFloats(`${pad.name}/one`, [1], []);
    const shifted = b.uniqueName(`${pad.name}/shifted`);
    b.nodes.splice(b.nodes.indexOf(pad), 0, {
      name: b.uniqueName(`${pad.name}/shift`),
      opType: 'Add',
      inputs: [x, one],
      outputs: [shifted],
      attributes: [],
    });
    pad.inputs = [shifted, pad.inputs[1] as string, one];
    const pooled = pool.outputs[0] as string;
    const shiftedPooled = b.uniqueName(`${pool.name}/shifted`);
    pool.outputs = [shiftedPooled];
    b.nodes.splice(b.nodes.indexOf(pool) + 1, 0, {
      name: b.uniqueName(`${pool.name}/unshift`),
      opType: 'Sub',
      inputs: [shiftedPooled, one],
      outputs: [pooled],
      attributes: [],
    });
    guarded++;
  }
  return guarded;
}
