/**
 * Stage 5 of `train()`: the mode's strategy through the shared fit loop, with the run's
 * callbacks: best checkpoint, state for --resume (at most once a second), early stopping. A
 * warm-started finetune run first fits its head (warm-start.ts), then fits everything.
 */
import { bestCheckpoint } from './callbacks/best-checkpoint.js';
import { earlyStopping } from './callbacks/early-stopping.js';
import { saveProgressPeriodically } from './callbacks/save-progress.js';
import { fit } from './fit.js';
import { createModeStrategy } from './modes/index.js';
import { saveProgress, type TrainRun } from './run-context.js';
import { fitWarmHead } from './warm-start.js';

export async function fitRun(run: TrainRun): Promise<void> {
  const { options } = run;
  if (run.phase && !run.warmStart && !(await fitWarmHead(run))) {
    run.progress.interrupted = true;
    return;
  }
  if (run.phase) run.emit({ type: 'phase', phase: 'finetune', index: 2, phases: 2, epochs: options.epochs });
  const strategy = await createModeStrategy(run, options);
  if (strategy.featureCache) run.featureCache = strategy.featureCache;
  try {
    await fit(
      {
        models: run.models,
        strategy,
        options,
        numClasses: run.dataset.labels.length,
        callbacks: [
          bestCheckpoint(() => run.best.keep()),
          saveProgressPeriodically((epochsDone) => saveProgress(run, epochsDone)),
          earlyStopping(options.patience),
        ],
        emit: run.emit,
        ...(run.phase ? { phase: run.phase } : {}),
      },
      run.progress,
    );
    run.openSetFeatures = strategy.openSetFeatures?.();
  } finally {
    strategy.dispose();
  }
}
