/**
 * Cloudflare Workers entry (wrangler.toml `main`). The model is bundled as a Data module from
 * .model/model.onnx, which scripts/prepare-model.mjs copies from FERRY_MODEL before every
 * build, dev or deploy.
 */
import modelBytes from '../../../.model/model.onnx';
import { createWorker } from './worker.js';

export default createWorker(modelBytes);
