/**
 * The weights a run keeps on disk. While the backbone is frozen (features, freeze) only head
 * weights go to `.state/` (a few KB per epoch) and the full checkpoint/ is written once, from the
 * best head, when the run stops; finetune saves the whole classifier. `.state/last*` holds the
 * last finished epoch for --resume, `.state/best-head` the best one.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyWeightsByName } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/layers-model-io.js';
import type { Tf } from './load-models.js';
import { statePath } from './run-state.js';

export interface CheckpointModels {
  tf: Tf;
  head: tfTypes.LayersModel;
  classifier: tfTypes.LayersModel;
}

/** The head's weights copied into the classifier's head layers, the classifier saved to `dir`. */
async function saveClassifier(models: CheckpointModels, dir: string): Promise<void> {
  copyWeightsByName(models.head, models.classifier);
  await saveLayersModelToDir(models.classifier, dir);
}

/** The last finished epoch's weights, for --resume. */
export async function saveLastWeights(models: CheckpointModels, runDir: string, frozen: boolean) {
  if (frozen) await saveLayersModelToDir(models.head, statePath(runDir, 'last-head'));
  else await saveClassifier(models, statePath(runDir, 'last'));
}

/**
 * The best epoch's weights. A frozen backbone keeps the best head in memory (and in
 * `.state/best-head` when there is a run directory); finetune writes checkpoint/ at once.
 */
export class BestWeights {
  private head: tfTypes.Tensor[] | undefined;
  /** A frozen run's best head changed since .state/best-head was written. */
  private unsaved = false;

  constructor(
    private readonly models: CheckpointModels,
    private readonly frozen: boolean,
    /** undefined: memory only (the warm start). */
    private readonly runDir?: string,
  ) {}

  async keep(): Promise<void> {
    if (!this.frozen) {
      await saveClassifier(this.models, join(this.runDir!, 'checkpoint'));
      return;
    }
    this.models.tf.dispose(this.head ?? []);
    this.head = this.models.head.getWeights().map((w) => w.clone());
    // Written with the state that names it (persist, from saveProgress), not at once: the state
    // is saved at most once a second, and .state/ must hold a best head and a state that agree.
    this.unsaved = true;
  }

  /** Writes the kept best head to .state/best-head if it changed since the last write. */
  async persist(): Promise<void> {
    if (!this.frozen || !this.runDir || !this.unsaved || !this.head) return;
    const { head, tf } = this.models;
    const current = head.getWeights().map((w) => w.clone());
    head.setWeights(this.head);
    try {
      await saveLayersModelToDir(head, statePath(this.runDir, 'best-head'));
    } finally {
      head.setWeights(current);
      tf.dispose(current);
    }
    this.unsaved = false;
  }

  adopt(weights: tfTypes.Tensor[]): void {
    this.models.tf.dispose(this.head ?? []);
    this.head = weights;
  }

  /** Puts the best head back into the head model; false when none was kept. */
  restoreHead(): boolean {
    if (!this.head) return false;
    this.models.head.setWeights(this.head);
    return true;
  }

  /** Frozen backbone: checkpoint/ from the best head, once, when the run stops. */
  async writeCheckpoint(): Promise<void> {
    if (!this.frozen || !this.runDir || !this.restoreHead()) return;
    await saveClassifier(this.models, join(this.runDir, 'checkpoint'));
  }

  dispose(): void {
    this.models.tf.dispose(this.head ?? []);
    this.head = undefined;
  }
}

/**
 * A resumed run's weights: the last finished epoch into the head and the classifier, and the
 * best head so far. A finetune run stopped in its warm start has a state but no weights yet: it
 * starts over from the fresh head.
 */
export async function restoreResumedWeights(
  models: CheckpointModels,
  runDir: string,
  frozen: boolean,
  best: BestWeights,
): Promise<void> {
  const { tf } = models;
  const lastDir = statePath(runDir, 'last');
  if (!existsSync(join(lastDir, 'model.json')) && !frozen) return;
  const headOnly = existsSync(statePath(runDir, 'last-head', 'model.json'));
  const last = await loadLayersModelFromDir(tf, headOnly ? statePath(runDir, 'last-head') : lastDir);
  copyWeightsByName(last, models.classifier);
  copyWeightsByName(last, models.head);
  last.dispose();
  if (headOnly && existsSync(statePath(runDir, 'best-head', 'model.json'))) {
    const saved = await loadLayersModelFromDir(tf, statePath(runDir, 'best-head'));
    best.adopt(saved.getWeights().map((w) => w.clone()));
    saved.dispose();
  }
}

/** A finished run keeps only state.json in `.state/` (warm-start/: scratch of older versions). */
export async function removeStateWeights(runDir: string): Promise<void> {
  for (const dir of ['last', 'last-head', 'best-head', 'warm-start'])
    await rm(statePath(runDir, dir), { recursive: true, force: true });
}
