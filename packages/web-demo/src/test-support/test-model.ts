/**
 * The model the browser tests build the site with.
 * TEMPORARY scaffolding until the exporter (issue 4) lands: a tiny random-weight conv classifier
 * written with python3-onnx, carrying a real Ferry spec made by core's createModelSpec. To be
 * replaced by `createTinyRun` + `exportRunToOnnx` from the trainer.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createModelSpec, ONNX_METADATA_KEYS } from '@ferry/core';

const SCRIPT = `
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out, spec_json, size, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(seed)
init = [numpy_helper.from_array(a.astype(np.float32), k) for k, a in [
  ('w', rng.normal(0, 0.5, (8, 3, 3, 3))), ('b', np.zeros(8)),
  ('fw', rng.normal(0, 1.0, (8, n))), ('fb', np.zeros(n))]]
nodes = [
  helper.make_node('Transpose', ['input'], ['nchw'], perm=[0, 3, 1, 2]),
  helper.make_node('Conv', ['nchw', 'w', 'b'], ['c'], strides=[2, 2], pads=[1, 1, 1, 1]),
  helper.make_node('Relu', ['c'], ['r']),
  helper.make_node('GlobalAveragePool', ['r'], ['p']),
  helper.make_node('Flatten', ['p'], ['f']),
  helper.make_node('Gemm', ['f', 'fw', 'fb'], ['logits']),
  helper.make_node('Softmax', ['logits'], ['probabilities'], axis=1),
]
g = helper.make_graph(nodes, 'tiny',
  [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', size, size, 3])],
  [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', n]),
   helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['N', n])], init)
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
m.ir_version = 8
helper.set_model_props(m, {'${ONNX_METADATA_KEYS.spec}': spec_json})
onnx.checker.check_model(m)
onnx.save(m, out)
`;

export const TEST_LABELS = ['ants', 'bees'];

export async function tinyExportedModel(dir: string, labels = TEST_LABELS, seed = 0): Promise<string> {
  const out = join(dir, 'model.onnx');
  const spec = createModelSpec({
    name: 'tiny-web-demo',
    labels,
    width: 64,
    height: 64,
    normalization: { kind: 'scale', scale: 1 / 127.5, offset: -1 },
    backbone: { id: 'tiny-conv', featureLayer: 'r' },
    training: { mode: 'features', epochs: 1, valAccuracy: 0.5 },
  });
  const result = spawnSync(
    '/usr/bin/python3',
    ['-c', SCRIPT, out, JSON.stringify(spec), '64', String(labels.length), String(seed)],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`python3-onnx test model failed: ${result.stderr}`);
  return out;
}
