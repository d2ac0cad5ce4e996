#!/usr/bin/env node
/**
 * Export sizes and accuracy per weight precision: the run's checkpoint exported as fp32, fp16 and
 * int8 ONNX (exportRunToOnnx), each file run with onnxruntime-node through core's
 * createClassifier on the val photos (decoded as the Node edge server decodes them: the wasm
 * libjpeg-turbo for JPEGs at the model's decode rule, sharp for other formats). Reports
 * bytes, val accuracy, top-1 agreement with fp32 and the largest probability difference from
 * fp32, so a precision that silently changes answers shows up. Prints one JSON line.
 *
 * Usage: node bench/export-precision.mjs RUN_DIR VAL_DIR OUT_DIR [--limit N]
 *   VAL_DIR holds <label>/<image> folders; OUT_DIR receives model-<precision>.onnx.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyOrientation, createClassifier, readImageHeader, readModelSpecFromOnnx } from '@ferry/core';
import { decodeUpload } from '@ferry/edge-api/node';
import { exportRunToOnnx } from '@ferry/trainer/export';
import * as ort from 'onnxruntime-node';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { limit: { type: 'string' } },
});
const [runDir, valDir, outDir] = positionals;
if (!runDir || !valDir || !outDir) {
  console.error('usage: node bench/export-precision.mjs RUN_DIR VAL_DIR OUT_DIR [--limit N]');
  process.exit(2);
}
const limit = values.limit ? Number(values.limit) : Number.POSITIVE_INFINITY;
mkdirSync(outDir, { recursive: true });

// Decode once; every precision classifies the same decoded pixels.
const rule = JSON.parse(readFileSync(join(runDir, 'spec.json'), 'utf8')).decode;
const photos = [];
const failed = [];
for (const label of readdirSync(valDir).sort()) {
  const files = readdirSync(join(valDir, label)).sort().slice(0, limit);
  for (const file of files) {
    const bytes = new Uint8Array(readFileSync(join(valDir, label, file)));
    try {
      const header = readImageHeader(bytes);
      if (!header) throw new Error('not an image');
      const image = applyOrientation(await decodeUpload(bytes, header, rule, 40e6), header.orientation);
      photos.push({ label, file, image });
    } catch (error) {
      failed.push({ file: `${label}/${file}`, error: String(error?.message ?? error) });
    }
  }
}

const results = {};
let reference;
for (const precision of ['fp32', 'fp16', 'int8']) {
  const out = join(outDir, `model-${precision}.onnx`);
  const t0 = performance.now();
  const exported = await exportRunToOnnx({ runDir, out, precision });
  const exportMs = performance.now() - t0;
  const bytes = new Uint8Array(readFileSync(out));
  const spec = readModelSpecFromOnnx(bytes);
  const session = await ort.InferenceSession.create(bytes);
  const classifier = createClassifier(session, spec, { Tensor: ort.Tensor, topK: 1 });
  let correct = 0;
  const probabilities = [];
  for (const photo of photos) {
    const r = await classifier.classify(photo.image);
    if (r.predictions[0].label === photo.label) correct++;
    probabilities.push(r.probabilities);
  }
  const row = {
    bytes: statSync(out).size,
    export_ms: Math.round(exportMs),
    opset: exported.opset,
    val_images: photos.length,
    val_accuracy: correct / photos.length,
  };
  if (!reference) reference = probabilities;
  else {
    let agree = 0;
    let maxDiff = 0;
    probabilities.forEach((p, i) => {
      const ref = reference[i];
      let best = 0;
      let refBest = 0;
      for (let k = 0; k < p.length; k++) {
        if (p[k] > p[best]) best = k;
        if (ref[k] > ref[refBest]) refBest = k;
        maxDiff = Math.max(maxDiff, Math.abs(p[k] - ref[k]));
      }
      if (best === refBest) agree++;
    });
    row.top1_agreement_with_fp32 = agree / probabilities.length;
    row.max_probability_diff_vs_fp32 = maxDiff;
  }
  results[precision] = row;
  await session.release?.();
}

console.log(JSON.stringify({ section: 'export', runDir, valDir, undecodable: failed, results }));
