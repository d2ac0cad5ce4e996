/**
 * TensorFlow.js backend selection. Owned by the backend work; this is the contract the trainer
 * codes against.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu' | 'webgpu';

export interface SelectedBackend {
  /** The tfjs namespace to use (tfjs-node's re-export when a native backend was loaded). */
  tf: typeof tf;
  /** Backend actually running, e.g. 'wasm'. */
  name: string;
  /** One line for logs: what was picked and why. */
  description: string;
}

export async function selectBackend(requested: BackendName = 'auto'): Promise<SelectedBackend> {
  if (requested !== 'auto' && requested !== 'cpu') throw new Error(`backend ${requested} is not wired yet`);
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, name: 'cpu', description: 'cpu (placeholder until backend selection lands)' };
}
