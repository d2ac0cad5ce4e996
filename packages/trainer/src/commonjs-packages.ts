/**
 * The big CommonJS packages the trainer uses, loaded with require() rather than `import`: for an
 * ESM import of a CommonJS module Node first scans its whole source for export names
 * (cjs-module-lexer), on every start of `ferry`. Measured here (same process, same packages):
 * @tensorflow/tfjs 360 -> 105 ms, @tensorflow/tfjs-backend-wasm 56 -> 7 ms, onnxruntime-node
 * 20 -> 8 ms, sharp 72-150 -> 43 ms. Types still come from `import type`; tests may import them
 * as usual (one module instance either way: both go through require's cache). Each loader runs
 * on first call, so importing this module loads nothing (the decode workers import it too).
 */
import { createRequire } from 'node:module';
import type * as Tfjs from '@tensorflow/tfjs';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import type * as Onnxruntime from 'onnxruntime-node';
import type Sharp from 'sharp';

const require = createRequire(import.meta.url);

export const loadTfjs = (): typeof Tfjs => require('@tensorflow/tfjs');

export const loadTfjsWasm = (): typeof TfjsWasm => require('@tensorflow/tfjs-backend-wasm');

export const loadOnnxruntime = (): typeof Onnxruntime => require('onnxruntime-node');

export const loadSharp = (): typeof Sharp => require('sharp');
