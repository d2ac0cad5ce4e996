/**
 * Runs the real `ferry predict --json` CLI (the trainer's dist/cli.js, onnxruntime-node) on
 * files and returns each file's probabilities in label order: the answer the servers must give.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Prediction } from '@ferry/core';

const require = createRequire(import.meta.url);

export async function ferryPredict(
  modelPath: string,
  labels: string[],
  files: string[],
): Promise<Map<string, Float32Array>> {
  // The package exports no package.json; dist/index.js sits beside dist/cli.js.
  const cli = join(dirname(require.resolve('@ferry/trainer')), 'cli.js');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [cli, 'predict', '--model', modelPath, '--json', '--top-k', String(labels.length), ...files],
    { maxBuffer: 64 * 2 ** 20 },
  );
  const results = new Map<string, Float32Array>();
  for (const line of stdout.trim().split('\n')) {
    const row = JSON.parse(line) as { path: string; predictions?: Prediction[] };
    if (!row.predictions) throw new Error(`ferry predict could not classify ${row.path}: ${line}`);
    const probabilities = new Float32Array(labels.length);
    for (const p of row.predictions) probabilities[labels.indexOf(p.label)] = p.probability;
    results.set(row.path, probabilities);
  }
  return results;
}
