/**
 * Stage 1 of `train()`: the options this run trains with. A fresh run resolves the caller's
 * options (defaults, validation) and refuses a directory that already holds a run; `--resume`
 * takes the options saved in the run's state instead (a new `--epochs` may extend it).
 */
import { resolve } from 'node:path';
import {
  type ResolvedTrainOptions,
  resolveTrainOptions,
  type TrainEvent,
  type TrainOptions,
} from './options.js';
import { assertNoRunIn, type RunState, readRunState } from './run-state.js';

export interface ResolvedRun {
  runDir: string;
  options: ResolvedTrainOptions;
  /** The state a resumed run continues from; undefined for a fresh run. */
  state?: RunState;
  /** Date.now() when this process started the run (durations add the resumed run's time). */
  started: number;
  emit: (event: TrainEvent) => void;
  log: (message: string) => void;
}

export async function resolveRun(options: TrainOptions): Promise<ResolvedRun> {
  const started = Date.now();
  const emit = (event: TrainEvent) => options.onProgress?.(event);
  const log = (message: string) => emit({ type: 'log', message });
  const runDir = resolve(options.out);
  if (!options.resume) {
    const resolved = resolveTrainOptions(options);
    assertNoRunIn(runDir);
    return { runDir, options: resolved, started, emit, log };
  }
  const state = await readRunState(runDir);
  const resumed: ResolvedTrainOptions = {
    ...state.options,
    out: runDir,
    resume: true,
    onProgress: options.onProgress,
    onDownload: options.onDownload,
    signal: options.signal,
  };
  if (options.epochs !== undefined) resumed.epochs = options.epochs;
  log(`resuming ${runDir} after epoch ${state.epochsDone}`);
  return { runDir, options: resumed, state, started, emit, log };
}
