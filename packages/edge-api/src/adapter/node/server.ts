#!/usr/bin/env node
/**
 * The Node server CLI (`npm start -w @ferry/edge-api` runs it):
 *
 *   node packages/edge-api/dist/adapter/node/server.js --model FILE [--port N] [--host H] [--static DIR]
 *
 * Each flag falls back to an env var: FERRY_MODEL (default runs/demo/model.onnx, what `npm run demo`
 * writes, under the directory the command was started from: npm's INIT_CWD, else the cwd),
 * PORT (8787), HOST (127.0.0.1), FERRY_STATIC_DIR; limits from FERRY_MAX_BODY_BYTES,
 * FERRY_MAX_PIXELS, FERRY_DEFAULT_TOP_K, FERRY_MAX_DECODES, FERRY_MAX_QUEUE, FERRY_BODY_TIMEOUT_S. Prints one JSON `listening` line, then one per request.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { limitsFromEnv } from '../../limits.js';
import { ServerOptionsError, startNodeServer } from './start-server.js';

const USAGE =
  'usage: server.js --model FILE.onnx [--port 8787] [--host 127.0.0.1] [--static DIR]  (env: FERRY_MODEL, PORT, HOST, FERRY_STATIC_DIR)';
// `npm start -w @ferry/edge-api` runs in the package directory; INIT_CWD is where the user typed it.
const startDir = process.env.INIT_CWD || process.cwd();

function fail(message: string): never {
  console.error(`ferry edge-api: ${message}\n${USAGE}`);
  process.exit(2);
}

let values: { model?: string; port?: string; host?: string; static?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      model: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      static: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

// An empty env var counts as unset (`PORT= npm start`), as in most CLIs.
const env = (name: string): string | undefined => process.env[name] || undefined;
const modelPath = resolve(
  startDir,
  values.model ?? env('FERRY_MODEL') ?? resolve(startDir, 'runs/demo/model.onnx'),
);
const portText = values.port ?? env('PORT') ?? '8787';
if (!/^\d+$/.test(portText)) fail(`port must be an integer in 0..65535, got "${portText}"`);
const hostname = values.host ?? env('HOST') ?? '127.0.0.1';
const staticDir = values.static ?? env('FERRY_STATIC_DIR');

try {
  const server = await startNodeServer({
    modelPath,
    port: Number(portText),
    hostname,
    staticDir,
    limits: limitsFromEnv(process.env),
  });
  console.log(
    JSON.stringify({
      event: 'listening',
      runtime: 'node',
      url: server.url,
      model: modelPath,
      ...(staticDir ? { static: resolve(startDir, staticDir) } : {}),
    }),
  );
  const shutdown = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  if (error instanceof ServerOptionsError) fail(error.message);
  const code = (error as NodeJS.ErrnoException).code;
  fail(code === 'EADDRINUSE' ? `port ${portText} is already in use (EADDRINUSE)` : String(error));
}
