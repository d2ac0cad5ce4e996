#!/usr/bin/env node
/**
 * Copies the model chosen by FERRY_MODEL (default: the demo run, <repo>/runs/demo/model.onnx)
 * to .model/model.onnx, the fixed path wrangler.toml aliases as the 'ferry-model' Data module.
 * Checks it is a Ferry export first, and writes through a temp file + rename so a failed copy
 * never leaves a half-written model for wrangler to bundle.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = resolve(process.env.FERRY_MODEL ?? resolve(packageDir, '../../runs/demo/model.onnx'));
const target = resolve(packageDir, '.model/model.onnx');

if (!existsSync(source) || !statSync(source).isFile()) {
  console.error(
    `prepare-model: no model at ${source}; set FERRY_MODEL to a ferry-exported .onnx (or run npm run demo)`,
  );
  process.exit(1);
}
const { readModelSpecFromOnnx } = await import('@ferry/core');
try {
  const spec = readModelSpecFromOnnx(new Uint8Array(readFileSync(source)));
  console.log(`prepare-model: ${source} -> .model/model.onnx (${spec.name}, ${spec.labels.length} labels)`);
} catch (error) {
  console.error(`prepare-model: ${source} is not a Ferry model: ${error.message}`);
  process.exit(1);
}
mkdirSync(dirname(target), { recursive: true });
const temp = `${target}.${process.pid}.tmp`;
copyFileSync(source, temp);
renameSync(temp, target);
