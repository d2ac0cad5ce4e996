/**
 * Runs the real Workers build of the API in workerd (wrangler's `unstable_startWorker`, local
 * mode, no login, no network) for any ONNX file: what `ferry demo`, the tests and bench/ use.
 * A generated entry beside a copy of the model stands in for src/adapter/workers/index.ts, so
 * concurrent runs never share .model/model.onnx. Bundles from this package's sources and
 * wrangler.toml with wrangler (a devDependency), so it runs from the monorepo checkout.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelSpecFromOnnx } from '@ferry/core';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningServer {
  url: string;
  stop: () => Promise<void>;
}

/** workerd via wrangler: `url` is wrangler's dev server, `workerUrl` workerd's own socket. */
export interface WorkerdServer extends RunningServer {
  /**
   * workerd's own socket for this worker (a free port), bypassing wrangler's dev ProxyWorker,
   * which can drop a POST under load with 503 "Your worker restarted mid-request" although the
   * worker never restarted (cloudflare/workers-sdk#14641: a kj keep-alive race). Tests and
   * bench/ use this one; `url` is what `wrangler dev` users see, on the requested port.
   */
  workerUrl: string;
}

export interface WorkerdOptions {
  /** TCP port; default 0 (a free one: read it from `url`). */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  hostname?: string;
  /** Worker vars (e.g. FERRY_MAX_PIXELS). */
  vars?: Record<string, string>;
  /** 'bundle' (default): model as a Data module; 'assets': served from Workers static assets. */
  delivery?: 'bundle' | 'assets';
}

export interface WorkerEntry {
  /** A fresh directory under .wrangler/entries holding entry.ts and a copy of the model. */
  dir: string;
  entrypoint: string;
  /** wrangler.toml or wrangler.assets.toml. */
  config: string;
  cleanup: () => void;
}

/**
 * A generated Workers entry for any model file, standing in for src/adapter/workers/index.ts
 * (bundle) or assets-entry.ts (assets) so that concurrent builds never share .model/.
 */
export function createWorkerEntry(modelPath: string, delivery: 'bundle' | 'assets' = 'bundle'): WorkerEntry {
  if (!existsSync(modelPath) || !statSync(modelPath).isFile()) {
    throw new Error(`model file not found: ${resolve(modelPath)} (pass a ferry-exported .onnx)`);
  }
  // A file without Ferry metadata fails here, clearly, not as 503s from inside workerd.
  readModelSpecFromOnnx(new Uint8Array(readFileSync(modelPath)));
  const root = join(PACKAGE_DIR, '.wrangler', 'entries');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, 'entry-'));
  copyFileSync(modelPath, join(dir, 'model.onnx'));
  // The generated entry imports the package's own sources, relative to where it is written.
  const source = (file: string) => relative(dir, join(PACKAGE_DIR, 'src/adapter/workers', file));
  writeFileSync(
    join(dir, 'entry.ts'),
    delivery === 'assets'
      ? `export { default } from '${source('assets-entry.ts')}';\n`
      : [
          "import model from './model.onnx';",
          `import { createWorker } from '${source('worker.ts')}';`,
          'export default createWorker(model);',
          '',
        ].join('\n'),
  );
  return {
    dir,
    entrypoint: join(dir, 'entry.ts'),
    config: join(PACKAGE_DIR, delivery === 'assets' ? 'wrangler.assets.toml' : 'wrangler.toml'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface ReloadEvent {
  proxyData: { userWorkerUrl: { protocol: string; hostname: string; port: string } };
}

export async function startWorkerd(modelPath: string, options: WorkerdOptions = {}): Promise<WorkerdServer> {
  const { vars = {}, delivery = 'bundle', port = 0, hostname = '127.0.0.1' } = options;
  // Offline by design: no telemetry, and no fetch of the Request.cf placeholder from Cloudflare.
  process.env.WRANGLER_SEND_METRICS = 'false';
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  const { unstable_DevEnv } = await import('wrangler');
  const { dir, entrypoint, config, cleanup } = createWorkerEntry(modelPath, delivery);
  // unstable_startWorker, with a look at the runtime's reload event for workerd's own URL.
  const devEnv = new unstable_DevEnv();
  // The runtime reports its URL on every (re)load; keep the latest.
  let latestWorkerUrl: string | undefined;
  const proxy = devEnv.proxy as unknown as { onReloadComplete(event: ReloadEvent): void };
  const forward = proxy.onReloadComplete.bind(proxy);
  proxy.onReloadComplete = (event) => {
    const { protocol, hostname: host, port: workerPort } = event.proxyData.userWorkerUrl;
    latestWorkerUrl = `${protocol}//${host.includes(':') ? `[${host}]` : host}:${workerPort}`;
    forward(event);
  };
  let worker: Awaited<ReturnType<typeof devEnv.startWorker>> | undefined;
  try {
    worker = await devEnv.startWorker({
      config,
      entrypoint,
      ...(delivery === 'assets' ? { assets: dir } : {}),
      bindings: Object.fromEntries(
        Object.entries(vars).map(([k, v]) => [k, { type: 'plain_text' as const, value: v }]),
      ),
      dev: {
        server: { hostname, port },
        inspector: false,
        watch: false,
        logLevel: 'warn',
        persist: false,
      },
    });
    await worker.ready;
  } catch (error) {
    await worker?.dispose().catch(() => {});
    cleanup();
    throw error;
  }
  const started = worker;
  const url = (await started.url).toString().replace(/\/$/, '');
  // The runtime reports its URL once the worker is loaded, which can be after `ready`: wait
  // until workerd's own socket answers.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const candidate = latestWorkerUrl;
    const ok =
      candidate &&
      (await fetch(`${candidate}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
    if (ok) break;
    if (Date.now() > deadline) {
      await started.dispose().catch(() => {});
      cleanup();
      throw new Error('workerd never answered on the worker URL wrangler reported');
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    get workerUrl() {
      return latestWorkerUrl!;
    },
    stop: async () => {
      await started.dispose();
      cleanup();
    },
  };
}
