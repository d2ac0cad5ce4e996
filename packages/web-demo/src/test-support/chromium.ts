/**
 * Debian's Chromium driven by playwright-core, with the launch flags from DEVELOPERS.md and a
 * fresh profile per launch (no cached service worker or storage leaks between runs).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

export function haveChromium(testName: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `SKIP ${testName}: ${CHROMIUM} not found (apt-get install chromium)`;
  if (process.env.FERRY_REQUIRE_REAL_DATA === '1')
    throw new Error(`FERRY_REQUIRE_REAL_DATA=1 but ${message}`);
  console.warn(`\n!!! ${message}\n`);
  return false;
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  /** A fake camera (Chromium's test pattern) with the permission already granted. */
  fakeCamera?: boolean;
}

/** Chromium's built-in test camera: a moving pattern, no device or permission prompt needed. */
const FAKE_CAMERA_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    ...(options.fakeCamera ? { permissions: ['camera'] } : {}),
    args: [
      ...(options.fakeCamera ? FAKE_CAMERA_FLAGS : []),
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser };
