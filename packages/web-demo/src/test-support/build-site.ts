/** Builds the demo site with Vite's API exactly as `npm run build` does, for a given model. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');

export async function buildSite(modelPath: string, outDir: string): Promise<void> {
  // The plugin reads FERRY_MODEL when the config loads, as it does for `FERRY_MODEL=... npm run build`.
  const previous = process.env.FERRY_MODEL;
  process.env.FERRY_MODEL = modelPath;
  try {
    await build({
      root: PACKAGE_DIR,
      configFile: join(PACKAGE_DIR, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (previous === undefined) delete process.env.FERRY_MODEL;
    else process.env.FERRY_MODEL = previous;
  }
}
