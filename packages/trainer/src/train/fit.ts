/**
 * The fit loop every mode and phase shares (PyTorch Lightning's `fit`, fastai's `fit`): for each
 * epoch, the mode's batches through one gradient step, the mode's val pass, one EpochRecord, then
 * the callbacks in order (best checkpoint, state for --resume), one progress event, and early
 * stopping. Ctrl-C (the abort signal) loses only the epoch in flight.
 */

import type { ModeStrategy, ValOutcome } from './modes/strategy.js';
import type { ResolvedTrainOptions, TrainEvent, TrainPhase } from './options.js';
import type { EpochRecord, ValPrediction } from './results.js';
import { createTrainStep, type StepModels, type TrainStep } from './train-step.js';

/** Where a fit stands; saved in the run state after every epoch, so resumable. */
export interface FitProgress {
  epochsDone: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestAccuracy: number;
  bestLoss: number;
  bestPredictions: ValPrediction[];
  /** The abort signal stopped the fit (the epoch in flight was dropped). */
  interrupted: boolean;
}

export function freshProgress(): FitProgress {
  return {
    epochsDone: 0,
    history: [],
    bestEpoch: 0,
    bestAccuracy: -1,
    bestLoss: Number.POSITIVE_INFINITY,
    bestPredictions: [],
    interrupted: false,
  };
}

export interface EpochEnd {
  /** 1-based. */
  epoch: number;
  record: EpochRecord;
  val: ValOutcome;
  progress: FitProgress;
  /** Set by the best-checkpoint callback when this epoch is the best so far. */
  isBest: boolean;
}

export interface FitCallback {
  /** After each epoch's val pass, in list order. */
  onEpochEnd?(end: EpochEnd): Promise<void> | void;
  /** After the epoch's progress event: a reason to stop now (logged), or undefined. */
  shouldStop?(end: EpochEnd): string | undefined;
  /**
   * When the fit stops at an epoch boundary (all epochs, an early stop, an abort between epochs):
   * the weights are the last epoch's. Not called after an abort inside an epoch.
   */
  onFitEnd?(progress: FitProgress): Promise<void> | void;
}

export interface FitSetup {
  models: StepModels;
  strategy: ModeStrategy;
  /** epochs, batch size, optimizer, schedule, seed, signal of this fit. */
  options: ResolvedTrainOptions;
  numClasses: number;
  callbacks: FitCallback[];
  emit: (event: TrainEvent) => void;
  /** Tags the events of a two-phase (warm-started finetune) run. */
  phase?: TrainPhase;
}

/** Trains from `progress.epochsDone` to `options.epochs` (or an early stop / abort); updates `progress`. */
export async function fit(setup: FitSetup, progress: FitProgress): Promise<FitProgress> {
  const { options, strategy } = setup;
  const stepsPerEpoch = Math.ceil(strategy.trainCount / options.batchSize);
  const startEpoch = progress.epochsDone;
  const plan = {
    numClasses: setup.numClasses,
    trainsBackbone: strategy.trainsBackbone,
    stepsPerEpoch,
    firstStep: startEpoch * stepsPerEpoch,
  };
  const step = strategy.createStep?.(plan) ?? createTrainStep(setup.models, options, plan);
  let insideEpoch = false;
  try {
    for (let epoch = startEpoch; epoch < options.epochs && !progress.interrupted; epoch++) {
      const started = Date.now();
      const totals = await trainEpoch(setup, step, epoch, stepsPerEpoch);
      if (options.signal?.aborted) {
        // The epoch in flight is lost; --resume starts after the last epoch saved.
        progress.interrupted = true;
        insideEpoch = true;
        break;
      }
      const val = await strategy.evaluate();
      const seconds = (Date.now() - started) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: totals.lossSum / Math.max(1, totals.seen),
        trainAccuracy: totals.correct / Math.max(1, totals.seen),
        valLoss: val.loss,
        valAccuracy: val.accuracy,
        lr: step.lastHeadLr(),
        seconds,
        imagesPerSecond: totals.seen / Math.max(seconds, 1e-6),
      };
      progress.history.push(record);
      progress.epochsDone = epoch + 1;
      const end: EpochEnd = { epoch: epoch + 1, record, val, progress, isBest: false };
      for (const callback of setup.callbacks) await callback.onEpochEnd?.(end);
      setup.emit(epochEvent(setup, end, startEpoch));
      const stop = setup.callbacks.map((c) => c.shouldStop?.(end)).find((reason) => reason);
      if (stop) {
        setup.emit({ type: 'log', message: stop });
        break;
      }
      if (options.signal?.aborted) progress.interrupted = true;
    }
    if (!insideEpoch) for (const callback of setup.callbacks) await callback.onFitEnd?.(progress);
  } finally {
    step.dispose();
  }
  return progress;
}

async function trainEpoch(setup: FitSetup, step: TrainStep, epoch: number, stepsPerEpoch: number) {
  const { options, strategy, phase } = setup;
  const totals = { lossSum: 0, correct: 0, seen: 0 };
  let batchIndex = 0;
  for await (const batch of strategy.epochBatches(epoch)) {
    if (options.signal?.aborted) {
      batch.x?.dispose();
      break;
    }
    const { loss, correct } = await step.run(batch);
    batch.x?.dispose();
    totals.lossSum += loss * batch.labels.length;
    totals.correct += correct;
    totals.seen += batch.labels.length;
    batchIndex++;
    if (strategy.batchEvents) {
      setup.emit({
        type: 'batch',
        epoch: epoch + 1,
        epochs: options.epochs,
        batch: batchIndex,
        batches: stepsPerEpoch,
        loss,
        ...(phase ? { phase } : {}),
      });
    }
  }
  return totals;
}

function epochEvent(setup: FitSetup, end: EpochEnd, startEpoch: number): TrainEvent {
  const { record } = end;
  const timed = end.progress.history.slice(startEpoch);
  const average = timed.reduce((sum, h) => sum + h.seconds, 0) / (end.epoch - startEpoch);
  return {
    type: 'epoch',
    ...(setup.phase ? { phase: setup.phase } : {}),
    epoch: end.epoch,
    epochs: setup.options.epochs,
    trainLoss: record.trainLoss,
    trainAccuracy: record.trainAccuracy,
    valLoss: record.valLoss,
    valAccuracy: record.valAccuracy,
    lr: record.lr,
    imagesPerSecond: record.imagesPerSecond,
    seconds: record.seconds,
    etaSeconds: average * (setup.options.epochs - end.epoch),
    best: end.isBest,
  };
}
