/**
 * `npm start -w @ferry/edge-api`: serves the API on PORT (default 8787) for the model at
 * FERRY_MODEL (default the demo run's model.onnx at the repository root).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { limitsFromEnv } from '../../limits.js';
import { createNodeApp } from './index.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../../..');
const modelPath = resolve(process.env.FERRY_MODEL ?? resolve(repoRoot, 'runs/demo/model.onnx'));
const port = Number(process.env.PORT ?? 8787);
const hostname = process.env.HOST ?? '127.0.0.1';

if (!existsSync(modelPath)) {
  console.error(
    `ferry edge-api: model file not found: ${modelPath} (set FERRY_MODEL to a ferry-exported .onnx)`,
  );
  process.exit(1);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`ferry edge-api: PORT must be an integer in 0..65535`);
  process.exit(1);
}

const app = createNodeApp({ modelPath, limits: limitsFromEnv(process.env) });
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(
    JSON.stringify({
      event: 'listening',
      runtime: 'node',
      url: `http://${hostname}:${info.port}`,
      model: modelPath,
    }),
  );
});

// Load the session now so the first request does not pay for it; failures stay visible as 503s.
Promise.resolve(app.request('/v1/model')).catch(() => {});

const shutdown = () => server.close(() => process.exit(0));
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
