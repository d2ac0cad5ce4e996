/**
 * Serving half of `ferry demo`: the edge API (the Node server `npm start -w @ferry/edge-api`
 * runs, or the Workers build in local workerd) and the built web demo, until stopped.
 *
 * The edge API is loaded from the repository by path, not as a package dependency: edge-api
 * depends on the trainer (its tests export models), so the reverse edge would be a cycle.
 * `@ferry/edge-api/testing` is, for now, the only module that starts either runtime on a given
 * model file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveSite, webDemoDist } from './static-site.js';

interface RunningServer {
  url: string;
  stop: () => Promise<void>;
}

interface EdgeTesting {
  startNode(modelPath: string, env?: Record<string, string>): Promise<RunningServer>;
  startWorkerd(modelPath: string): Promise<RunningServer>;
}

export interface DemoServers {
  apiUrl: string;
  pageUrl: string;
  runtime: 'node' | 'workerd';
  stop(): Promise<void>;
}

async function loadEdgeTesting(repoRoot: string): Promise<EdgeTesting> {
  const entry = join(repoRoot, 'packages/edge-api/dist/testing/index.js');
  if (!existsSync(entry)) {
    throw new Error(
      `the edge API is not built (${entry} missing): run \`npm run build -w @ferry/edge-api\` (npm install does it)`,
    );
  }
  return (await import(pathToFileURL(entry).href)) as EdgeTesting;
}

export async function startDemoServers(options: {
  repoRoot: string;
  modelPath: string;
  /** Edge API port (Node only; workerd picks a free one); the page gets port + 1. */
  port: number;
  workerd: boolean;
}): Promise<DemoServers> {
  const dist = webDemoDist(options.repoRoot);
  const edge = await loadEdgeTesting(options.repoRoot);
  let api: RunningServer;
  try {
    api = options.workerd
      ? await edge.startWorkerd(options.modelPath)
      : await edge.startNode(options.modelPath, { PORT: String(options.port) });
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(
      /EADDRINUSE/.test(message)
        ? `port ${options.port} is in use (pass --port N to pick others)`
        : `the edge API did not start: ${message.trim()}`,
    );
  }
  let site: Awaited<ReturnType<typeof serveSite>>;
  try {
    site = await serveSite({ root: dist, modelPath: options.modelPath, port: options.port + 1 });
  } catch (error) {
    await api.stop();
    throw error;
  }
  const apiUrl = api.url.replace(/\/$/, '');
  return {
    apiUrl,
    // ?api= so the page's "edge" mode talks to this server whatever port it got.
    pageUrl: `${site.url}?api=${encodeURIComponent(apiUrl)}`,
    runtime: options.workerd ? 'workerd' : 'node',
    stop: async () => {
      await Promise.allSettled([api.stop(), site.close()]);
    },
  };
}
