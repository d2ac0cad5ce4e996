/**
 * Serving half of `npm run demo`: the edge API (in this process with `startNodeServer`, the same
 * server `npm start -w @ferry/edge-api` runs, or the Workers build in local workerd with
 * `startWorkerd`) and the built web page, until stopped. Both come from @ferry/edge-api's
 * documented entry points, never from its testing module.
 */
import { startNodeServer } from '@ferry/edge-api/node';
import { type ServedBackbone, serveSite, webDemoDist } from './static-site.js';

interface RunningServer {
  url: string;
  stop: () => Promise<void>;
}

export interface DemoServers {
  apiUrl: string;
  pageUrl: string;
  /** The train view (train/), with the backbone served beside it when one was given. */
  trainUrl: string;
  runtime: 'node' | 'workerd';
  stop(): Promise<void>;
}

async function startApi(modelPath: string, port: number, workerd: boolean): Promise<RunningServer> {
  if (workerd) {
    // Loaded only for --workerd: it brings wrangler (a devDependency of @ferry/edge-api).
    const { startWorkerd } = await import('@ferry/edge-api/workerd');
    return startWorkerd(modelPath);
  }
  // One request log line per request would bury the URLs printed above; the page shows timings.
  const server = await startNodeServer({ modelPath, port, log: () => {} });
  return { url: server.url, stop: () => server.close() };
}

export async function startDemoServers(options: {
  modelPath: string;
  /** Edge API port (Node only; workerd picks a free one); the page gets port + 1. */
  port: number;
  workerd: boolean;
  /** The backbone the train view should get from this server (offline training). */
  backbone?: ServedBackbone;
}): Promise<DemoServers> {
  const dist = webDemoDist();
  let api: RunningServer;
  try {
    api = await startApi(options.modelPath, options.port, options.workerd);
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
    site = await serveSite({
      root: dist,
      modelPath: options.modelPath,
      port: options.port + 1,
      ...(options.backbone ? { backbone: options.backbone } : {}),
    });
  } catch (error) {
    await api.stop();
    throw error;
  }
  const apiUrl = api.url.replace(/\/$/, '');
  return {
    apiUrl,
    // ?api= so the page's "edge" mode talks to this server whatever port it got.
    pageUrl: `${site.url}?api=${encodeURIComponent(apiUrl)}`,
    trainUrl: `${site.url}train/`,
    runtime: options.workerd ? 'workerd' : 'node',
    stop: async () => {
      await Promise.allSettled([api.stop(), site.close()]);
    },
  };
}
