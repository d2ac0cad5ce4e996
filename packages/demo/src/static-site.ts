/**
 * Serves the built web demo (@ferry/web-demo's dist/) on localhost with the demo's model.onnx in
 * place of whatever the build bundled (edge-api's serveStaticSite): the page loads `model.onnx`
 * next to itself, so one build works for every retrained model without running Vite again. The
 * backbone the demo trained with is served under `backbones/<id>/`, where the train view looks
 * first, so training in the page works offline too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StaticSite, serveStaticSite } from '@ferry/edge-api/node';

export type { StaticSite };

export interface ServedBackbone {
  id: string;
  /** Its model.json; the weight files it lists sit beside it. */
  modelJson: string;
}

/** URL path -> file for a Keras model.json and every weight file its manifest lists. */
export function backboneFiles(backbone: ServedBackbone): Map<string, string> {
  const base = `/backbones/${backbone.id}`;
  const manifest = JSON.parse(readFileSync(backbone.modelJson, 'utf8')) as {
    weightsManifest?: { paths: string[] }[];
  };
  const files = new Map([[`${base}/model.json`, backbone.modelJson]]);
  for (const path of (manifest.weightsManifest ?? []).flatMap((g) => g.paths))
    files.set(`${base}/${path}`, join(dirname(backbone.modelJson), path));
  return files;
}

export function serveSite(options: {
  root: string;
  modelPath: string;
  port: number;
  host?: string;
  backbone?: ServedBackbone;
}): Promise<StaticSite> {
  return serveStaticSite({
    root: options.root,
    overrides: new Map([
      ['/model.onnx', options.modelPath],
      ...(options.backbone ? backboneFiles(options.backbone) : []),
    ]),
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
  });
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
