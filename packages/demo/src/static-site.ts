/**
 * Serves the built web demo (@ferry/web-demo's dist/) on localhost with the demo's model.onnx in
 * place of whatever the build bundled: the page loads `model.onnx` next to itself, so one
 * build works for every retrained model without running Vite again.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export interface StaticSite {
  url: string;
  close(): Promise<void>;
}

export async function serveSite(options: {
  root: string;
  modelPath: string;
  port: number;
  host?: string;
}): Promise<StaticSite> {
  const root = resolve(options.root);
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path');
      return;
    }
    let file = pathname === '/model.onnx' ? options.modelPath : normalize(join(root, pathname));
    if (file !== options.modelPath && file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden');
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        // The model changes each time the demo retrains; the page must not keep an old one.
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${options.port} is in use (pass --port N to pick others)`
            : `cannot serve the web demo on ${host}:${options.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port, host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The web demo's build output (@ferry/web-demo's dist/), or a clear error naming the command that makes it. */
export function webDemoDist(): string {
  const dist = join(dirname(fileURLToPath(import.meta.resolve('@ferry/web-demo/package.json'))), 'dist');
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(
      `the web demo is not built (${dist}/index.html missing): run \`npm run build -w @ferry/web-demo\` (npm install does it)`,
    );
  }
  return dist;
}
