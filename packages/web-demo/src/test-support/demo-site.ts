/**
 * One built demo site for a test file: a model exported from a tiny training run, the site built
 * for it with Vite (as `npm run build` does) into a scratch directory that is removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite } from './build-site.js';
import { tinyExportedModel } from './test-model.js';

export interface DemoSite {
  scratch: string;
  modelPath: string;
  /** The built static site (index.html, assets/, model.onnx, ort/, sw.js). */
  siteDir: string;
  remove(): void;
}

export async function buildDemoSite(prefix: string): Promise<DemoSite> {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const modelPath = await tinyExportedModel(scratch);
  const siteDir = join(scratch, 'site');
  await buildSite(modelPath, siteDir);
  return { scratch, modelPath, siteDir, remove: () => rmSync(scratch, { recursive: true, force: true }) };
}
