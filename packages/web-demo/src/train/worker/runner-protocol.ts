/** Messages between the train worker and its backbone runner (backbone-runner.ts). */

export type ToRunner =
  /** `onnx`: the converted feature extractor; `ortBase`: where onnxruntime-web's wasm is served. */
  | { type: 'init'; onnx: ArrayBuffer; ortBase: string }
  /** `input` holds `n` NHWC views at its start (it may be longer); transferred, and sent back. */
  | { type: 'run'; id: number; input: ArrayBuffer; n: number; height: number; width: number };

export type FromRunner =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  /** `features`: `n * dim` pooled features; `input`: the buffer sent, back for the next batch. */
  | { type: 'out'; id: number; features: Float32Array; input: ArrayBuffer }
  | { type: 'run-error'; id: number; message: string; input: ArrayBuffer };
