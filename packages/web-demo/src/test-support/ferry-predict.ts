/**
 * Runs the real `ferry predict --json` (the trainer's built CLI, onnxruntime-node + sharp) on
 * files: the answers the page must reproduce. Every label's probability is asked for.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Prediction } from '@ferry/core';

export interface PredictAnswer {
  top1: string;
  /** label -> probability, every label. */
  probabilities: Map<string, number>;
}

function ferryCli(): string {
  const require = createRequire(import.meta.url);
  // The package's exports hide dist/cli.js; its main entry sits beside it.
  return join(dirname(require.resolve('@ferry/trainer')), 'cli.js');
}

export async function ferryPredict(
  modelPath: string,
  files: readonly string[],
): Promise<Map<string, PredictAnswer>> {
  const args = [ferryCli(), 'predict', '--model', modelPath, '--json', '--top-k', '100000', ...files];
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
    const { path, predictions } = JSON.parse(line) as {
      path: string;
      predictions: Prediction[];
    };
    answers.set(path, {
      top1: predictions[0]!.label,
      probabilities: new Map(predictions.map((p) => [p.label, p.probability])),
    });
  }
  return answers;
}
