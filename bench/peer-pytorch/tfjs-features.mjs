// Runs the tfjs backbone on the exact inputs check_port.py prepared (NHWC float32 raw file).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLayersModelFromDir } from '@ferry/trainer';
import * as tf from '@tensorflow/tfjs';

const [modelDir, dir, count] = process.argv.slice(2);
await tf.setBackend('cpu');
const model = await loadLayersModelFromDir(tf, modelDir);
const input = new Float32Array(readFileSync(join(dir, 'input.f32')).buffer.slice(0));
const n = Number(count);
const out = model.predict(tf.tensor4d(input, [n, 224, 224, 3]));
writeFileSync(join(dir, 'output.f32'), Buffer.from((await out.data()).buffer));
