/**
 * Stage 2 of `train()`: the labelled photos (folder or CSV, seeded split), a warning when the
 * classes are unbalanced, and the log of files that could not be decoded. Every stage that
 * decodes reports bad files here; each is reported once per run, whichever stage met it first.
 */
import { type Dataset, describeBalance, displayPath, loadDataset } from '../data/dataset.js';
import type { SkippedFile } from '../data/loader.js';
import type { ResolvedTrainOptions, TrainEvent } from './options.js';

export class SkipLog {
  private readonly files = new Map<string, SkippedFile>();

  constructor(
    private readonly dataset: Dataset,
    private readonly emit: (event: TrainEvent) => void,
  ) {}

  /** Pass as a loader's `onSkip`. */
  readonly record = (file: SkippedFile): void => {
    if (this.files.has(file.path)) return;
    this.files.set(file.path, file);
    this.emit({ type: 'skip', path: displayPath(this.dataset, file.path), reason: file.reason });
  };

  list(): SkippedFile[] {
    return [...this.files.values()];
  }
}

export interface RunData {
  dataset: Dataset;
  skips: SkipLog;
}

export async function loadRunData(
  options: ResolvedTrainOptions,
  emit: (event: TrainEvent) => void,
): Promise<RunData> {
  const dataset = await loadDataset({
    dir: options.data,
    csv: options.csv,
    valSplit: options.valSplit,
    seed: options.seed,
  });
  const balance = describeBalance(dataset, dataset.train);
  if (balance.warning) emit({ type: 'log', message: `warning: ${balance.warning}` });
  return { dataset, skips: new SkipLog(dataset, emit) };
}
