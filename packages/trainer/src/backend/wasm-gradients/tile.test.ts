import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasm } from '../wasm.js';
import { relativeError, runOnBackend, seededValues } from './gradient-check.js';
import { tile } from './tile.js';

// The replacement Tile must agree exactly with the cpu backend's for every rank and dtype tfjs
// tiles, including the BatchNorm-gradient shape it was written for.
const cases: Array<[string, number[], number[]]> = [
  ['BN gradient: [1,1,1,C] to [B,H,W,C]', [1, 1, 1, 5], [3, 7, 9, 1]],
  ['rank 1', [4], [3]],
  ['rank 2, both dims', [2, 3], [2, 4]],
  ['rank 3, inner repeat', [2, 1, 3], [1, 5, 2]],
  ['rank 5', [2, 1, 2, 1, 3], [1, 2, 2, 3, 1]],
  ['reps of 1 (copy)', [3, 4], [1, 1]],
];

describe('wasm Tile replacement', () => {
  beforeAll(async () => {
    await activateWasm(tf);
  });

  it('is the kernel registered for wasm', () => {
    expect(tf.getKernel('Tile', 'wasm')?.kernelFunc).toBe(tile);
  });

  it.each(cases)('float32 matches cpu: %s', async (_name, shape, reps) => {
    const make = () => [tf.tile(tf.tensor(seededValues(tf.util.sizeFromShape(shape), 31), shape), reps)];
    const cpu = await runOnBackend('cpu', make);
    const wasm = await runOnBackend('wasm', make);
    expect(wasm[0]?.length).toBe(tf.util.sizeFromShape(shape) * reps.reduce((a, b) => a * b, 1));
    expect(relativeError(wasm[0] as Float32Array, cpu[0] as Float32Array)).toBe(0);
  });

  it('int32 and bool keep their dtype and values', async () => {
    await tf.setBackend('wasm');
    const ints = tf.tile(tf.tensor2d([1, -2, 3, 4], [2, 2], 'int32'), [2, 3]);
    expect(ints.dtype).toBe('int32');
    expect(ints.arraySync()).toEqual([
      [1, -2, 1, -2, 1, -2],
      [3, 4, 3, 4, 3, 4],
      [1, -2, 1, -2, 1, -2],
      [3, 4, 3, 4, 3, 4],
    ]);
    const bools = tf.tile(tf.tensor1d([true, false], 'bool'), [3]);
    expect(bools.dtype).toBe('bool');
    expect(Array.from(bools.dataSync())).toEqual([1, 0, 1, 0, 1, 0]);
    tf.dispose([ints, bools]);
  });

  it('handles scalars and empty tensors', async () => {
    await tf.setBackend('wasm');
    const scalarTiled = tf.engine().runKernel('Tile', { x: tf.scalar(7) }, { reps: [] }) as tf.Tensor;
    expect(scalarTiled.dataSync()[0]).toBe(7);
    expect(tf.tile(tf.zeros([0, 3]), [2, 2]).shape).toEqual([0, 6]);
  });
});
