/** The export part of the bench: bench/export-precision.mjs: fp32/fp16/int8 sizes and val accuracy. */
import { join } from 'node:path';
import { DATA, defaultRun, errorOf, HERE, OUT, runChild, step, writeJson } from '../lib/context.mjs';
import { mib, pct, table } from '../lib/format.mjs';

export async function exportPart() {
  const dir = defaultRun();
  step('export: fp32 / fp16 / int8 exports, val accuracy with onnxruntime-node');
  const r = await runChild(
    process.execPath,
    [join(HERE, 'export-precision.mjs'), dir, join(DATA, 'val'), join(OUT, 'export')],
    { label: 'export' },
  );
  writeJson('export', {
    date: new Date().toISOString(),
    ...(r.code === 0 && r.json ? r.json : { error: errorOf(r) }),
  });
}

export function exportSection(x) {
  if (!x) return '_Not run yet (`node bench/run.js --only export`)._';
  if (x.error) return `Export failed: ${x.error}`;
  const rows = Object.entries(x.results).map(([p, v]) => [
    p,
    mib(v.bytes),
    pct(v.val_accuracy),
    v.top1_agreement_with_fp32 == null ? '(reference)' : pct(v.top1_agreement_with_fp32),
    v.max_probability_diff_vs_fp32 == null ? '–' : v.max_probability_diff_vs_fp32.toExponential(2),
    `${v.export_ms} ms`,
  ]);
  const n = Object.values(x.results)[0]?.val_images;
  return [
    `Measured ${x.date}: the default run exported with \`exportRunToOnnx({ precision })\`, each file run with onnxruntime-node through core's createClassifier on ${n} val photos decoded as the Node edge server decodes them (JPEGs by the wasm libjpeg-turbo at the model's decode rule; runs before 2026-12-01T12:45 decoded with sharp).${x.undecodable?.length ? ` Undecodable: ${x.undecodable.map((u) => u.file).join(', ')}.` : ''}`,
    '',
    table(
      [
        'precision',
        'size',
        'val accuracy',
        'top-1 agreement with fp32',
        'max probability diff vs fp32',
        'export time',
      ],
      rows,
    ),
  ].join('\n');
}
