import {
  type Classifier,
  createClassifier,
  type ModelSpec,
  readModelSpecFromOnnx,
  type SessionLike,
  type TensorConstructor,
} from '@ferry/core';

/** What the app needs from a loaded model; adapters build it with `createModelLoader`. */
export interface LoadedModel {
  classifier: Classifier;
  spec: ModelSpec;
  /** Hex SHA-256 of the ONNX file, so clients can tell which exact model answered. */
  sha256: string;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface ModelLoaderOptions {
  /** The ONNX file (bundled module, asset fetch or file read). */
  readBytes: () => Promise<Uint8Array>;
  /** onnxruntime's `InferenceSession.create` for this runtime. */
  createSession: (bytes: Uint8Array) => Promise<SessionLike>;
  /** The same runtime's Tensor class, so feeds are built by the copy that runs them. */
  Tensor: TensorConstructor;
}

/**
 * Lazily creates one inference session per process/isolate and reuses it. A failed load is
 * not cached, so a transient failure does not poison the isolate for good.
 */
export function createModelLoader(options: ModelLoaderOptions): () => Promise<LoadedModel> {
  let pending: Promise<LoadedModel> | undefined;
  const load = async (): Promise<LoadedModel> => {
    const bytes = await options.readBytes();
    // Read the spec before creating the session: a file without Ferry metadata fails fast and clearly.
    const spec = readModelSpecFromOnnx(bytes);
    const sha256 = await sha256Hex(bytes);
    const session = await options.createSession(bytes);
    return { spec, sha256, classifier: createClassifier(session, spec, { Tensor: options.Tensor }) };
  };
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
