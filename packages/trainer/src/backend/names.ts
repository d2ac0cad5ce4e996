/**
 * The `--backend` names, apart from backend selection (index.ts), which loads TensorFlow.js:
 * `ferry train` parses its options, lists the photos and starts decoding before tfjs is loaded.
 */
export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu' | 'webgpu';
export const BACKEND_NAMES: readonly BackendName[] = [
  'auto',
  'wasm',
  'cpu',
  'tensorflow',
  'tensorflow-gpu',
  'webgpu',
];

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}
