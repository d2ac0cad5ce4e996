/**
 * The wasm backend in Node: tfjs-backend-wasm fetches its .wasm binaries from `setWasmPaths`,
 * which in Node must be a file-system directory with a trailing slash. The gradient kernels the
 * backend lacks are registered first so training (not just inference) works.
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type * as tfNamespace from '@tensorflow/tfjs';
import { loadTfjsWasm } from '../commonjs-packages.js';
import { registerWasmGradientKernels } from './wasm-gradients/register.js';

type Tf = typeof tfNamespace;

/** Directory holding tfjs-backend-wasm*.wasm, resolved from the installed package. */
export function wasmBinaryDirectory(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return join(dirname(packageJson), 'dist') + sep;
}

let wasmPathsSet = false;

export async function activateWasm(tf: Tf): Promise<void> {
  const wasm = loadTfjsWasm();
  if (!wasmPathsSet) {
    wasm.setWasmPaths(wasmBinaryDirectory());
    wasmPathsSet = true;
  }
  registerWasmGradientKernels();
  if (!(await tf.setBackend('wasm'))) {
    throw new Error(
      `the tfjs wasm backend failed to initialise (binaries looked up in ${wasmBinaryDirectory()})`,
    );
  }
  await tf.ready();
}
