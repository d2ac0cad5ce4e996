/**
 * Starts the real edge API (packages/edge-api's Node build: onnxruntime-node + sharp, what
 * `npm start -w @ferry/edge-api` runs) on a free port and waits for its "listening" line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EDGE_SERVER = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../edge-api/dist/adapter/node/server.js',
);

export interface EdgeServer {
  url: string;
  stop(): Promise<void>;
}

export async function startEdgeServer(modelPath: string): Promise<EdgeServer> {
  if (!existsSync(EDGE_SERVER)) {
    throw new Error(`${EDGE_SERVER} is missing: build the edge API first (npx turbo run build)`);
  }
  const child: ChildProcess = spawn(process.execPath, [EDGE_SERVER], {
    env: { ...process.env, FERRY_MODEL: modelPath, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d) => {
      buffer += d;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const record = JSON.parse(line) as { event?: string; url?: string };
          if (record.event === 'listening' && record.url) resolve(record.url);
        } catch {
          // Not a JSON log line.
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`edge server exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
