/**
 * Optimizers over explicit variable lists: SGD+momentum, Adam, AdamW (Adam plus decoupled
 * weight decay, Loshchilov & Hutter). The learning rate is set per step from the schedule.
 */
import type { OptimizerName } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';

type Tf = typeof tfTypes;

export interface Stepper {
  /** Applies gradients for `vars` with learning rate `lr`. */
  step(grads: Record<string, tfTypes.Tensor>, vars: tfTypes.Variable[], lr: number): void;
  dispose(): void;
}

export function createOptimizer(tf: Tf, name: OptimizerName, weightDecay: number): Stepper {
  const momentum = name === 'sgd' ? tf.train.momentum(0.01, 0.9) : undefined;
  const adam = name === 'sgd' ? undefined : tf.train.adam(0.001, 0.9, 0.999, 1e-7);
  const optimizer = (momentum ?? adam) as tfTypes.Optimizer;
  let currentLr = Number.NaN;
  return {
    step(grads, vars, lr) {
      // Momentum keeps -lr in a scalar tensor (setLearningRate); Adam reads the field each step.
      if (lr !== currentLr) {
        if (momentum) momentum.setLearningRate(lr);
        else (adam as unknown as { learningRate: number }).learningRate = lr;
        currentLr = lr;
      }
      if (name === 'adamw' && weightDecay > 0) {
        tf.tidy(() => {
          for (const v of vars) if (v.name.includes('kernel')) v.assign(v.mul(1 - lr * weightDecay));
        });
      }
      const named: tfTypes.NamedTensorMap = {};
      for (const v of vars) if (grads[v.name]) named[v.name] = grads[v.name]!;
      optimizer.applyGradients(named);
    },
    dispose: () => optimizer.dispose(),
  };
}
