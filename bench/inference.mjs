#!/usr/bin/env node
/**
 * Inference side by side: one classifier (a ferry run directory: checkpoint/ + model.onnx), batch
 * 1 and 32, in tfjs-wasm, onnxruntime-node, onnxruntime-web (wasm, single thread, in Node) and
 * PyTorch (the bench peer's port of the same checkpoint). The input is the same preprocessed
 * tensor everywhere, so only the runtime differs. Prints one JSON line.
 *
 * Usage: node bench/inference.mjs RUN_DIR [--seconds 4]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '4' } },
});
const runDir = positionals[0];
if (!runDir) {
  console.error('usage: node bench/inference.mjs RUN_DIR [--seconds N]');
  process.exit(2);
}
const budgetMs = Number(values.seconds) * 1000;
const spec = JSON.parse(readFileSync(join(runDir, 'spec.json'), 'utf8'));
const { width, height } = spec.input;
const BATCHES = [1, 32];

function randomInput(batch) {
  const data = new Float32Array(batch * width * height * 3);
  let s = 1;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return data;
}

/** Warm up, then run for the time budget; ms per image = median batch time / batch. */
async function measure(run, batch) {
  await run();
  await run();
  const times = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || times.length < 3) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { msPerImage: times[Math.floor(times.length / 2)] / batch, runs: times.length };
}

const results = {};

// onnxruntime-node
{
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(join(runDir, 'model.onnx'));
  results['onnxruntime-node'] = {};
  for (const b of BATCHES) {
    const input = new ort.Tensor('float32', randomInput(b), [b, height, width, 3]);
    results['onnxruntime-node'][b] = await measure(() => session.run({ [spec.input.name]: input }), b);
  }
}

// onnxruntime-web, wasm, single thread, in Node
{
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(
    new Uint8Array(readFileSync(join(runDir, 'model.onnx'))),
    {
      executionProviders: ['wasm'],
    },
  );
  results['onnxruntime-web (wasm, 1 thread)'] = {};
  for (const b of BATCHES) {
    const input = new ort.Tensor('float32', randomInput(b), [b, height, width, 3]);
    results['onnxruntime-web (wasm, 1 thread)'][b] = await measure(
      () => session.run({ [spec.input.name]: input }),
      b,
    );
  }
}

// tfjs-wasm predict on the checkpoint
{
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const wasmDir = join(here, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  wasm.setWasmPaths(`${wasmDir}/`);
  await tf.setBackend('wasm');
  const { loadLayersModelFromDir } = await import('@ferry/trainer');
  const model = await loadLayersModelFromDir(tf, join(runDir, 'checkpoint'));
  results['tfjs-wasm'] = {};
  for (const b of BATCHES) {
    const input = tf.tensor4d(randomInput(b), [b, height, width, 3]);
    results['tfjs-wasm'][b] = await measure(async () => {
      const out = model.predict(input);
      await out.data();
      out.dispose();
    }, b);
    input.dispose();
  }
}

// PyTorch (CPU) on the bench peer's port of the same checkpoint
{
  const tmp = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  const script = `
import json, sys, time, torch
sys.path.insert(0, ${JSON.stringify(join(here, 'peer-pytorch'))})
from tfjs_port import Interpreter
torch.set_num_threads(${cpus().length})  # Debian's torch defaults to 1 thread here; use every core like ort-node
model = Interpreter(sys.argv[1]).eval()
out = {}
for b in (1, 32):
    x = torch.rand(b, 3, ${height}, ${width}) * 2 - 1
    with torch.no_grad():
        model(x); model(x)
        times = []
        start = time.time()
        while time.time() - start < ${budgetMs / 1000} or len(times) < 3:
            t0 = time.time(); model(x); times.append(time.time() - t0)
    times.sort()
    out[b] = {"msPerImage": times[len(times) // 2] * 1000 / b, "runs": len(times)}
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": out}))
`;
  writeFileSync(join(tmp, 'bench.py'), script);
  const py = spawnSync('/usr/bin/python3', [join(tmp, 'bench.py'), join(runDir, 'checkpoint')], {
    encoding: 'utf8',
  });
  rmSync(tmp, { recursive: true, force: true });
  if (py.status === 0) {
    const parsed = JSON.parse(py.stdout.trim().split('\n').pop());
    results[`PyTorch ${parsed.torch} CPU (${parsed.threads} threads)`] = parsed.results;
  } else {
    results.PyTorch = { error: py.stderr.trim().split('\n').pop() };
  }
}

console.log(
  JSON.stringify({
    section: 'inference',
    model: spec.name,
    input: `${width}x${height}`,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    results,
  }),
);
