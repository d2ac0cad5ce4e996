/**
 * Starts the Node build of the API (dist/adapter/node/server.js, exactly what `npm start`
 * runs) as a child process on a free port and waits for its "listening" line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunningServer } from '../workerd/start-workerd.js';
import { PACKAGE_DIR } from '../workerd/start-workerd.js';

export async function startNode(
  modelPath: string,
  env: Record<string, string> = {},
): Promise<RunningServer & { logs: string[] }> {
  const child: ChildProcess = spawn(process.execPath, [join(PACKAGE_DIR, 'dist/adapter/node/server.js')], {
    env: { ...process.env, FERRY_MODEL: modelPath, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d) => {
      buffer += d;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        logs.push(line);
        try {
          const record = JSON.parse(line) as { event?: string; url?: string };
          if (record.event === 'listening' && record.url) resolveUrl(record.url);
        } catch {}
        nl = buffer.indexOf('\n');
      }
    });
    child.once('exit', (code) => reject(new Error(`node server exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    logs,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
