/**
 * Alternative Workers entry (wrangler.assets.toml): the model is not in the script but served
 * from Workers static assets (`.model/model.onnx` uploaded as `/model.onnx`, binding ASSETS)
 * and read once per isolate. Keeps the script small and lets the model change without
 * rebuilding code; costs one asset fetch on cold start.
 */
import { createWorker, type WorkerEnv } from './worker.js';

interface AssetsBinding {
  fetch(input: string): Promise<Response>;
}

export default createWorker(async (env: WorkerEnv) => {
  const assets = env.ASSETS as AssetsBinding | undefined;
  if (!assets) throw new Error('no ASSETS binding: deploy with wrangler.assets.toml');
  const res = await assets.fetch('https://assets.invalid/model.onnx');
  if (!res.ok) throw new Error(`model.onnx not found in static assets (${res.status})`);
  return res.arrayBuffer();
});
