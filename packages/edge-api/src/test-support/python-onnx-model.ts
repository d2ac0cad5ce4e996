/**
 * Development fallback: a tiny random-weight conv classifier written with python3-onnx, with a
 * real Ferry spec (core's createModelSpec) in its metadata. Used only until/unless the
 * exporter's `createTinyRun` is available; the final tests use the exporter.
 */
import { spawnSync } from 'node:child_process';
import { createModelSpec, IMAGENET_MEAN_STD, ONNX_METADATA_KEYS } from '@ferry/core';

const SCRIPT = `
import sys, json, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out, spec_json, size, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(seed)
w = numpy_helper.from_array(rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32), 'w')
b = numpy_helper.from_array(rng.normal(0, 0.1, (8,)).astype(np.float32), 'b')
fw = numpy_helper.from_array(rng.normal(0, 1.0, (8, n)).astype(np.float32), 'fw')
fb = numpy_helper.from_array(rng.normal(0, 0.1, (n,)).astype(np.float32), 'fb')
nodes = [
  helper.make_node('Transpose', ['input'], ['nchw'], perm=[0, 3, 1, 2]),
  helper.make_node('Conv', ['nchw', 'w', 'b'], ['c'], strides=[2, 2], pads=[1, 1, 1, 1]),
  helper.make_node('Relu', ['c'], ['r']),
  helper.make_node('GlobalAveragePool', ['r'], ['p']),
  helper.make_node('Flatten', ['p'], ['f']),
  helper.make_node('MatMul', ['f', 'fw'], ['mm']),
  helper.make_node('Add', ['mm', 'fb'], ['logits']),
  helper.make_node('Softmax', ['logits'], ['probabilities'], axis=1),
]
g = helper.make_graph(nodes, 'tiny',
  [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', size, size, 3])],
  [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', n]),
   helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['N', n])],
  [w, b, fw, fb])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
m.ir_version = 8
helper.set_model_props(m, {'${ONNX_METADATA_KEYS.spec}': spec_json})
onnx.checker.check_model(m)
onnx.save(m, out)
`;

export function writePythonTinyModel(out: string, labels: string[], size = 64, seed = 1): void {
  const spec = createModelSpec({
    name: 'tiny-python',
    labels,
    width: size,
    height: size,
    normalization: IMAGENET_MEAN_STD,
  });
  const result = spawnSync(
    '/usr/bin/python3',
    ['-c', SCRIPT, out, JSON.stringify(spec), String(size), String(labels.length), String(seed)],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`python onnx model failed: ${result.stderr}`);
}
