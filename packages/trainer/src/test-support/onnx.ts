/**
 * Exporter test support: run ONNX bytes in onnxruntime-node and onnxruntime-web (wasm, one
 * thread, under Node) and check files with Debian's python3-onnx `onnx.checker` — the external
 * tools an exported file must satisfy.
 */

import { hasPythonModules, runPython } from '@ferry/fixtures/python';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';

export interface Feed {
  data: Float32Array;
  dims: number[];
}

export type Outputs = Record<string, { data: Float32Array; dims: number[] }>;

ortWeb.env.wasm.numThreads = 1;

async function run(ort: typeof ortNode | typeof ortWeb, bytes: Uint8Array, feeds: Record<string, Feed>) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const inputs = Object.fromEntries(
      Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor('float32', f.data, f.dims)]),
    );
    const results = await session.run(inputs as never);
    const out: Outputs = {};
    for (const [name, t] of Object.entries(results)) {
      out[name] = { data: Float32Array.from(t.data as Float32Array), dims: [...t.dims] };
    }
    return out;
  } finally {
    await session.release();
  }
}

export const runOrtNode = (bytes: Uint8Array, feeds: Record<string, Feed>) => run(ortNode, bytes, feeds);
export const runOrtWeb = (bytes: Uint8Array, feeds: Record<string, Feed>) => run(ortWeb, bytes, feeds);

export { maxAbsDiff } from '@ferry/fixtures/max-abs-diff';

/** Deterministic values in [lo, hi): tests own their random data. */
export function seededFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

export const haveOnnxChecker = (testName: string) => hasPythonModules(['onnx'], testName);

/**
 * `onnx.checker.check_model(full_check=True)` (shape inference included) on each file, in one
 * python process; returns {file: error} for the failures. Files newer than the installed onnx
 * understands (Debian's knows IR 8 = opset <= 18) are listed under `tooNew` instead.
 */
export function onnxCheckerErrors(files: string[]): { errors: Record<string, string>; tooNew: string[] } {
  const script = `
import json, sys, onnx
errors = {}
for path in sys.argv[1:]:
    try:
        model = onnx.load(path)
        if model.ir_version > onnx.IR_VERSION:
            errors.setdefault("tooNew", []).append(path)
            continue
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        errors[path] = str(e).splitlines()[0] if str(e) else type(e).__name__
print(json.dumps(errors))
`;
  const { tooNew = [], ...errors } = JSON.parse(runPython(script, files)) as Record<string, string> & {
    tooNew?: string[];
  };
  return { errors, tooNew };
}
