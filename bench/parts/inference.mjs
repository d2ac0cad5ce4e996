/** The inference part of the bench: bench/inference.mjs on the default run (batch 1 and 32, four runtimes). */
import { join } from 'node:path';
import { defaultRun, errorOf, HERE, load, QUICK, runChild, step, writeJson } from '../lib/context.mjs';
import { fmt, loadNote, table } from '../lib/format.mjs';

export async function inference() {
  const dir = defaultRun();
  step(`inference: bench/inference.mjs ${dir}`);
  const before = load();
  const date = new Date().toISOString();
  const r = await runChild(
    process.execPath,
    [join(HERE, 'inference.mjs'), dir, '--seconds', QUICK ? '0.5' : '4'],
    {
      label: 'inference',
    },
  );
  const result =
    r.code === 0 && r.json
      ? { date, loadavg_before: before, ...r.json }
      : { date, loadavg_before: before, error: errorOf(r) };
  result.loadavg_after = load();
  writeJson('inference', result);
}

export function inferenceSection(inf, edgeResult) {
  if (!inf) return '_Not run yet (`node bench/run.js --only inference`)._';
  if (inf.error) return `Inference failed: ${inf.error}`;
  const names = Object.keys(inf.results);
  const ortNode = inf.results['onnxruntime-node'];
  const rows = names.map((name) => {
    const v = inf.results[name];
    if (v.error) return [name, 'error', 'error', '–', '–'];
    return [
      name,
      fmt(v[1]?.msPerImage, 2),
      fmt(v[32]?.msPerImage, 2),
      ortNode ? fmt(v[1]?.msPerImage / ortNode[1].msPerImage, 2) : '–',
      ortNode ? fmt(v[32]?.msPerImage / ortNode[32].msPerImage, 2) : '–',
    ];
  });
  if (edgeResult && !edgeResult.error)
    rows.push([
      'workerd via the edge API (POST /v1/classify, JPEG in: decode + preprocess + HTTP)',
      fmt(edgeResult.sequential.classify_p50_ms, 2),
      '–',
      ortNode ? fmt(edgeResult.sequential.classify_p50_ms / ortNode[1].msPerImage, 2) : '–',
      '–',
    ]);
  return [
    `Measured ${inf.date}. Model ${inf.model} (${inf.input}), the default run's checkpoint / model.onnx; same preprocessed random input everywhere, median batch time / batch. ${loadNote(inf)}`,
    '',
    table(
      [
        'runtime',
        'batch 1 ms/image',
        'batch 32 ms/image',
        'ratio to ort-node (b1)',
        'ratio to ort-node (b32)',
      ],
      rows,
    ),
  ].join('\n');
}
