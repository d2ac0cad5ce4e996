/**
 * The run directory's resumable state: `.state/state.json` holds the resolved options and the fit
 * progress after every finished epoch, so `--resume` (after Ctrl-C or kill -9) continues from the
 * last finished epoch. The weights beside it are checkpoints.ts's.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { ResolvedTrainOptions } from './options.js';
import type { EpochRecord, ValPrediction, WarmStartSummary } from './results.js';

export class RunDirError extends Error {
  override name = 'RunDirError';
}

/** Everything a run keeps only while it is unfinished. */
export const STATE_DIR = '.state';

/** Options as saved: the callbacks and the abort signal belong to the process, not the run. */
export type SavedTrainOptions = Omit<ResolvedTrainOptions, 'onProgress' | 'onDownload' | 'signal'>;

export interface RunState {
  version: 1;
  options: SavedTrainOptions;
  epochsDone: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestAccuracy: number;
  bestLoss: number;
  bestPredictions: ValPrediction[];
  elapsedSeconds: number;
  completed: boolean;
  /** Set once finetune's warm start finished; its head is then in `.state/last`. */
  warmStart?: WarmStartSummary;
}

export function statePath(runDir: string, ...parts: string[]): string {
  return join(runDir, STATE_DIR, ...parts);
}

/** A fresh run must not overwrite a finished or resumable one. */
export function assertNoRunIn(runDir: string): void {
  if (existsSync(join(runDir, 'spec.json')) || existsSync(statePath(runDir))) {
    throw new RunDirError(
      `${runDir} already holds a run: pass --resume to continue it, or choose another --out`,
    );
  }
}

/** The state `--resume` continues from. */
export async function readRunState(runDir: string): Promise<RunState> {
  const path = statePath(runDir, 'state.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RunDirError(
      `cannot resume: ${runDir} has no ${STATE_DIR}/state.json (not a ferry run, or it never finished an epoch)`,
    );
  }
  const state = JSON.parse(text) as RunState;
  if (state.version !== 1)
    throw new RunDirError(`cannot resume: ${path} has unknown version ${state.version}`);
  if (state.completed) throw new RunDirError(`${runDir} is a completed run; nothing to resume`);
  return state;
}

export function savedOptions(options: ResolvedTrainOptions): SavedTrainOptions {
  const { onProgress: _p, onDownload: _d, signal: _s, ...saved } = options;
  return saved;
}

export async function writeRunState(runDir: string, state: RunState): Promise<void> {
  await writeFileAtomic(statePath(runDir, 'state.json'), JSON.stringify(state));
}
