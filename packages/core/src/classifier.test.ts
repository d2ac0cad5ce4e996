import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPythonModules, runPython } from '@ferry/fixtures/python';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from './classifier.js';
import type { Image } from './image.js';
import { readModelSpecFromOnnx, readOnnxMetadata } from './onnx-metadata.js';
import { createModelSpec } from './spec/create.js';
import { ONNX_METADATA_KEYS } from './spec/model-spec.js';

const W = [
  [0.5, -1.0, 2.0],
  [1.5, 0.25, -0.75],
];
const B = [0.1, -0.2];
const spec = createModelSpec({
  name: 'mean-colour',
  labels: ['warm', 'cool'],
  width: 8,
  height: 8,
  normalization: { kind: 'scale', scale: 1 / 255, offset: 0 },
  preprocess: [{ op: 'resize', width: 8, height: 8 }],
});

/**
 * A real ONNX classifier built by the onnx Python package: NHWC input -> mean over H, W ->
 * Gemm -> logits -> Softmax -> probabilities, with the spec in metadata_props.
 */
const BUILD_MODEL = `
import sys, json, onnx
from onnx import helper, TensorProto
W, B, spec, out, with_probs = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == '1'
nodes = [
  helper.make_node('ReduceMean', ['input'], ['pooled'], axes=[1, 2], keepdims=0),
  helper.make_node('Gemm', ['pooled', 'W', 'B'], ['logits'], transB=1),
]
outputs = [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 2])]
if with_probs:
  nodes.append(helper.make_node('Softmax', ['logits'], ['probabilities'], axis=1))
  outputs.append(helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['batch', 2]))
graph = helper.make_graph(nodes, 'g',
  [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', 8, 8, 3])], outputs,
  [helper.make_tensor('W', TensorProto.FLOAT, [2, 3], sum(W, [])), helper.make_tensor('B', TensorProto.FLOAT, [2], B)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
model.ir_version = 8
helper.set_model_props(model, {'${ONNX_METADATA_KEYS.spec}': spec, 'other': 'x'})
onnx.checker.check_model(model)
onnx.save(model, out)
`;

function expectedProbabilities(rgb: [number, number, number]): number[] {
  const x = rgb.map((v) => v / 255);
  const logits = W.map((row, k) => row.reduce((s, w, c) => s + w * x[c]!, B[k]!));
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  return e.map((v) => v / (e[0]! + e[1]!));
}

const solid = (width: number, height: number, rgb: [number, number, number]): Image => ({
  width,
  height,
  channels: 3,
  data: Uint8Array.from({ length: width * height * 3 }, (_, i) => rgb[i % 3]!),
});

describe.runIf(hasPythonModules(['onnx'], 'classifier + ONNX metadata on a real ONNX model'))(
  'createClassifier with onnxruntime-node',
  () => {
    let dir: string;
    let withProbs: Uint8Array;
    let logitsOnly: Uint8Array;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'ferry-core-onnx-'));
      for (const [file, flag] of [
        ['probs.onnx', '1'],
        ['logits.onnx', '0'],
      ] as const) {
        runPython(BUILD_MODEL, [
          JSON.stringify(W),
          JSON.stringify(B),
          JSON.stringify(spec),
          join(dir, file),
          flag,
        ]);
      }
      withProbs = readFileSync(join(dir, 'probs.onnx'));
      logitsOnly = readFileSync(join(dir, 'logits.onnx'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the spec and other metadata back from the ONNX bytes', () => {
      expect(readOnnxMetadata(withProbs).other).toBe('x');
      expect(readModelSpecFromOnnx(withProbs)).toEqual(spec);
    });

    it('rejects non-ONNX and truncated bytes with clear errors', () => {
      expect(() => readOnnxMetadata(new TextEncoder().encode('<html>hello</html>'))).toThrow(/ONNX/);
      expect(() => readOnnxMetadata(withProbs.subarray(0, withProbs.length - 5))).toThrow(/truncated|ONNX/);
      expect(() => readOnnxMetadata(new Uint8Array(0))).toThrow(/no graph/);
    });

    it.each([
      ['probabilities output', () => withProbs],
      ['logits only (softmax in core)', () => logitsOnly],
    ])('classifies images of any size (%s)', async (_name, bytes) => {
      const session = await ort.InferenceSession.create(bytes());
      const classifier = createClassifier(session, readModelSpecFromOnnx(bytes()), { Tensor: ort.Tensor });
      const colours: [number, number, number][] = [
        [250, 40, 10],
        [10, 90, 240],
      ];
      const results = await classifier.classifyBatch(
        [solid(40, 30, colours[0]!), solid(9, 17, colours[1]!)],
        { topK: 2 },
      );
      results.forEach((r, i) => {
        const expected = expectedProbabilities(colours[i]!);
        expect(r.probabilities[0]).toBeCloseTo(expected[0]!, 5);
        expect(r.probabilities[1]).toBeCloseTo(expected[1]!, 5);
        expect(r.predictions[0]!.label).toBe(expected[0]! > expected[1]! ? 'warm' : 'cool');
        expect(r.predictions).toHaveLength(2);
      });
      const single = await classifier.classify({ ...solid(8, 8, colours[0]!), channels: 3 });
      expect(single.predictions[0]!.label).toBe(results[0]!.predictions[0]!.label);
      expect(await classifier.classifyBatch([])).toEqual([]);
    });

    it('refuses a session whose inputs do not match the spec', async () => {
      const session = await ort.InferenceSession.create(withProbs);
      const other = { ...spec, input: { ...spec.input, name: 'pixel_values' } };
      expect(() => createClassifier(session, other)).toThrow(/no input named "pixel_values"/);
    });
  },
);
