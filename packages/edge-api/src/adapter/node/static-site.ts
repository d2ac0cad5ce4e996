/**
 * A static site on localhost with @hono/node-server's serveStatic (the file server the Node API
 * already uses for `--static`): `npm run demo` serves the built page through it, and the page's
 * tests serve their builds the same way. `overrides` maps URL paths to files outside the root,
 * read on every request, so the demo's freshly exported model.onnx replaces the build's without
 * running Vite again (change the map to swap a file). Everything is sent `no-cache`: the model
 * changes each time the demo retrains, and the page must not keep an old one. The site's own
 * `_headers` file (the Cloudflare Pages / Netlify format; the web demo's build declares
 * cross-origin isolation in it) is honoured for its `/*` block.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';

export interface StaticSite {
  url: string;
  close(): Promise<void>;
}

export interface StaticSiteOptions {
  root: string;
  overrides?: Map<string, string>;
  /** Default 0: any free port. */
  port?: number;
  host?: string;
}

/** The `/*` block of `root/_headers`: name and value of each header every response gets. */
export function siteWideHeaders(root: string): [string, string][] {
  const file = join(root, '_headers');
  if (!existsSync(file)) return [];
  const headers: [string, string][] = [];
  let inBlock = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!/^\s/.test(line)) inBlock = line.trim() === '/*';
    else if (inBlock) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
  }
  return headers;
}

export async function serveStaticSite(options: StaticSiteOptions): Promise<StaticSite> {
  const overrides = options.overrides ?? new Map<string, string>();
  const siteHeaders = siteWideHeaders(options.root);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-cache');
    for (const [name, value] of siteHeaders) c.header(name, value);
  });
  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    const file = overrides.get(c.req.path);
    if (!file) return next();
    const bytes = new Uint8Array(await readFile(file));
    return new Response(c.req.method === 'HEAD' ? null : bytes, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
    });
  });
  // serveStatic refuses `..`, doubled slashes and backslashes: nothing outside the root is read.
  app.use('*', serveStatic({ root: resolve(options.root) }));
  app.notFound((c) => c.text('not found', 404));
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((listening, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} is in use (pass --port N to pick others)`
            : `cannot serve ${options.root} on ${host}:${port}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => listening());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}/`,
    close: () =>
      new Promise<void>((done) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => done());
      }),
  };
}
