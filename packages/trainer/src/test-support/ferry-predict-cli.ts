/**
 * Runs the real `ferry predict --json` (this package's built CLI: sharp decoding, core
 * preprocessing, onnxruntime-node) on files, every label's probability asked for: the answer the
 * edge API and the web page must reproduce. Part of `@ferry/trainer/testing`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Prediction } from '@ferry/core';

export interface PredictAnswer {
  top1: string;
  /** label -> probability, every label. */
  probabilities: Map<string, number>;
}

/** dist/cli.js, beside this module's dist/export/ folder. */
const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/** `ferry predict` on each file: file path -> its answer. Rejects if any file has none. */
export async function ferryPredict(
  modelPath: string,
  files: readonly string[],
): Promise<Map<string, PredictAnswer>> {
  const args = [CLI, 'predict', '--model', modelPath, '--json', '--top-k', '100000', ...files];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`ferry predict exited with ${code}: ${stderr.trim()}`);
  const answers = new Map<string, PredictAnswer>();
  for (const line of stdout.trim().split('\n')) {
    const row = JSON.parse(line) as { path: string; predictions?: Prediction[] };
    if (!row.predictions?.length) throw new Error(`ferry predict could not classify ${row.path}: ${line}`);
    answers.set(row.path, {
      top1: row.predictions[0]!.label,
      probabilities: new Map(row.predictions.map((p) => [p.label, p.probability])),
    });
  }
  return answers;
}
