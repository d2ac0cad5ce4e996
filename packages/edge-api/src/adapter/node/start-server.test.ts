/**
 * `startNodeServer` (what `ferry demo` and other code call) and the CLI around it
 * (`node dist/adapter/node/server.js --model FILE --port N --static DIR`): real sockets, real
 * onnxruntime-node, a real static directory; bad options fail clearly instead of serving 503s.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { photo } from '@ferry/trainer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as runCliScript } from '../../test-support/run-cli.js';
import { makeTinyModel, TINY_LABELS } from '../../test-support/tiny-model.js';
import { PACKAGE_DIR } from '../../workerd/start-workerd.js';
import { type NodeServer, ServerOptionsError, startNodeServer } from './start-server.js';

const SERVER_JS = join(PACKAGE_DIR, 'dist/adapter/node/server.js');

let modelPath: string;
let staticDir: string;
beforeAll(async () => {
  modelPath = await makeTinyModel();
  // A stand-in for the web demo's Vite build, plus a secret beside it that must stay unreachable.
  const root = mkdtempSync(join(tmpdir(), 'ferry-edge-static-'));
  writeFileSync(join(root, 'secret.txt'), 'outside the static root');
  staticDir = join(root, 'site');
  mkdirSync(join(staticDir, 'ort'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ferry demo</title>');
  writeFileSync(join(staticDir, 'ort', 'ort.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
});

describe('startNodeServer', () => {
  let server: NodeServer;
  beforeAll(async () => {
    server = await startNodeServer({ modelPath, port: 0, staticDir, log: () => {} });
  });
  afterAll(() => server?.close());

  it('serves the API and the static site from one origin', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('ferry demo');
    const wasm = await fetch(`${server.url}/ort/ort.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');

    const model = (await (await fetch(`${server.url}/v1/model`)).json()) as { labels: string[] };
    expect(model.labels).toEqual(TINY_LABELS);
    const res = await fetch(`${server.url}/v1/classify?top_k=1`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photo(90, 60).jpeg().toBuffer()),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
    // API paths keep their own semantics even with a static root.
    expect((await fetch(`${server.url}/v1/classify`)).status).toBe(405);
  });

  it('answers missing files and escapes from the static root with the JSON 404', async () => {
    for (const path of ['/nope.js', '/%2e%2e/secret.txt', '/ort/%2e%2e/%2e%2e/secret.txt', '//secret.txt']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code, path).toBe('not_found');
    }
  });

  it('refuses options that cannot work, before listening', async () => {
    await expect(startNodeServer({ modelPath: join(staticDir, 'none.onnx'), port: 0 })).rejects.toThrow(
      /model file not found: .*none\.onnx/,
    );
    const notOnnx = startNodeServer({ modelPath: join(staticDir, 'index.html'), port: 0 });
    await expect(notOnnx).rejects.toThrow(ServerOptionsError);
    await expect(notOnnx).rejects.toThrow(/^model failed to load: /);
    await expect(startNodeServer({ modelPath, port: 70_000 })).rejects.toThrow(/port must be/);
    await expect(
      startNodeServer({ modelPath, port: 0, staticDir: join(staticDir, 'no-dir') }),
    ).rejects.toThrow(/static directory not found/);
    await expect(startNodeServer({ modelPath, port: server.port, log: () => {} })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

const runCli = (args: string[], until?: RegExp) => runCliScript(SERVER_JS, args, until);

describe('node server CLI', () => {
  it('serves --model on --port with --static, logs JSON lines, stops on SIGTERM', async () => {
    const cli = runCli(
      ['--model', modelPath, '--port', '0', '--static', staticDir],
      /\{"event":"listening".*\n/,
    );
    const listening = JSON.parse(await cli.matched) as { url: string; model: string; static: string };
    expect(listening.model).toBe(modelPath);
    expect(await (await fetch(`${listening.url}/`)).text()).toContain('ferry demo');
    expect((await fetch(`${listening.url}/healthz`)).status).toBe(200);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const routes = cli
      .output()
      .stdout.trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { route?: string }).route);
    expect(routes).toContain('static');
    expect(routes).toContain('/healthz');
    // The start-up model check is not a client request and is not logged as one.
    expect(routes).not.toContain('/v1/model');
  });

  it('exits 2 with a clear message for a missing model, a bad port or a busy port', async () => {
    const missing = runCli(['--model', join(staticDir, 'gone.onnx')]);
    expect(await missing.exited).toBe(2);
    expect(missing.output().stderr).toMatch(/model file not found: .*gone\.onnx/);

    const badPort = runCli(['--model', modelPath, '--port', 'eighty']);
    expect(await badPort.exited).toBe(2);
    expect(badPort.output().stderr).toMatch(/port must be an integer/);

    const unknown = runCli(['--modle', modelPath]);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toMatch(/usage: server\.js --model/);

    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      const busy = runCli(['--model', modelPath, '--port', String(port)]);
      expect(await busy.exited).toBe(2);
      expect(busy.output().stderr).toMatch(/already in use \(EADDRINUSE\)/);
    } finally {
      blocker.close();
    }
  });
});
