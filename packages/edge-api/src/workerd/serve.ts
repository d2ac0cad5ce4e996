#!/usr/bin/env node
/**
 * Serves any ferry-exported ONNX file from the Workers build in local workerd:
 *
 *   node packages/edge-api/dist/workerd/serve.js --model FILE [--port 8787] [--host H] [--assets]
 *
 * `--assets` serves the model from Workers static assets instead of bundling it. Offline (no
 * Cloudflare login). Prints one JSON `listening` line; stops on SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startWorkerd } from './start-workerd.js';

const USAGE = 'usage: serve.js --model FILE.onnx [--port 8787] [--host 127.0.0.1] [--assets]';

function fail(message: string): never {
  console.error(`ferry edge-api (workerd): ${message}\n${USAGE}`);
  process.exit(2);
}

let values: { model?: string; port?: string; host?: string; assets?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      model: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      assets: { type: 'boolean' },
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
// An empty env var counts as unset, as in the Node CLI.
const env = (name: string): string | undefined => process.env[name] || undefined;
const modelArg = values.model ?? env('FERRY_MODEL');
if (!modelArg) fail('--model is required');
const portText = values.port ?? env('PORT') ?? '8787';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) fail(`port must be an integer in 0..65535, got "${portText}"`);
const modelPath = resolve(modelArg);

try {
  const server = await startWorkerd(modelPath, {
    port,
    hostname: values.host ?? env('HOST') ?? '127.0.0.1',
    delivery: values.assets ? 'assets' : 'bundle',
  });
  console.log(JSON.stringify({ event: 'listening', runtime: 'workerd', url: server.url, model: modelPath }));
  const shutdown = () => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
