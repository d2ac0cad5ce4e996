/**
 * `startNodeServer`: the documented way for other code (`ferry demo`, benches) to serve a
 * ferry-exported ONNX file over HTTP from Node, in-process. The `npm start` CLI (server.js)
 * is a thin wrapper around it.
 */
import { existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { loadJpegDecoder } from '@ferry/codec-jpeg/node';
import { serve } from '@hono/node-server';
import type { AppOptions } from '../../app.js';
import type { Limits } from '../../limits.js';
import { createNodeApp, createNodeModelLoader } from './app.js';

export interface StartNodeServerOptions {
  /** The `.onnx` file written by `ferry export`. */
  modelPath: string;
  /** TCP port; 0 picks a free one (read it back from `port`/`url`). Default 8787. */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (use 0.0.0.0 to expose it). */
  hostname?: string;
  /** Directory served at `/` for non-API paths, e.g. packages/web-demo/dist. */
  staticDir?: string;
  limits?: Partial<Limits>;
  /** Request log sink; default one JSON line per request on stdout. */
  log?: AppOptions['log'];
  /** Load the model before the first request (default true); a bad model then fails the start. */
  preload?: boolean;
}

export interface NodeServer {
  /** Base URL, e.g. http://127.0.0.1:8787 (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Thrown for options that cannot work (missing model file, bad port, missing static dir). */
export class ServerOptionsError extends Error {
  override name = 'ServerOptionsError';
}

export async function startNodeServer(options: StartNodeServerOptions): Promise<NodeServer> {
  const modelPath = resolve(options.modelPath);
  const port = options.port ?? 8787;
  const hostname = options.hostname ?? '127.0.0.1';
  if (!existsSync(modelPath) || !statSync(modelPath).isFile()) {
    throw new ServerOptionsError(`model file not found: ${modelPath} (pass a ferry-exported .onnx)`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ServerOptionsError(`port must be an integer in 0..65535, got ${port}`);
  }
  if (options.staticDir !== undefined && !existsSync(options.staticDir)) {
    throw new ServerOptionsError(`static directory not found: ${resolve(options.staticDir)}`);
  }
  const loadModel = createNodeModelLoader(modelPath);
  const app = createNodeApp({
    modelPath,
    loadModel,
    limits: options.limits,
    log: options.log,
    staticDir: options.staticDir,
  });
  if (options.preload ?? true) {
    // Surfaces a non-Ferry or broken model now, as an error, instead of as 503s later. The app
    // shares this loader, so the first request reuses the session, and no request is logged.
    try {
      await loadModel();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ServerOptionsError(`model failed to load: ${reason}`);
    }
    // The JPEG wasm compiles now, not on the first photo.
    await loadJpegDecoder();
  }
  return new Promise<NodeServer>((resolveServer, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info: AddressInfo) => {
      server.off('error', reject);
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      resolveServer({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Idle keep-alive sockets would hold close() open for seconds.
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    // e.g. EADDRINUSE: reject instead of crashing the process.
    server.once('error', reject);
  });
}
