/**
 * The WebGPU route under Node: Dawn (the `webgpu` npm package) provides `navigator.gpu`, and
 * @tensorflow/tfjs-backend-webgpu runs tfjs kernels as WGSL compute shaders on it. On Linux Dawn
 * reaches the GPU through Vulkan (libvulkan.so.1 + the driver's ICD); without them, or without a
 * GPU, requestAdapter() resolves to null and the caller falls back to wasm.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { isModuleNotFound } from './errors.js';
import { noAdapterReason, systemVulkanProbe, type VulkanProbe } from './vulkan.js';

type Tf = typeof tfNamespace;
export type ImportModule = (specifier: string) => Promise<unknown>;

interface DawnModule {
  create: (flags: string[]) => { requestAdapter: (options?: object) => Promise<unknown> };
  globals: Record<string, unknown>;
}

export type WebGpuOutcome = { ok: true; detail: string } | { ok: false; reason: string };

/** Options for Dawn, e.g. ['backend=vulkan']; FERRY_DAWN_FLAGS='a,b' adds more without code. */
function dawnFlags(): string[] {
  return (process.env.FERRY_DAWN_FLAGS ?? '').split(',').filter(Boolean);
}

/** Installs navigator.gpu (Node 20 has no navigator; Node 21+ has one without `gpu`). */
function exposeGpu(gpu: unknown, globals: Record<string, unknown>): void {
  Object.assign(globalThis, globals);
  const g = globalThis as { navigator?: object };
  if (!g.navigator) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true });
}

export async function activateWebGpu(
  tf: Tf,
  importModule: ImportModule,
  vulkanProbe: () => VulkanProbe = systemVulkanProbe,
): Promise<WebGpuOutcome> {
  let dawn: DawnModule;
  try {
    dawn = (await importModule('webgpu')) as DawnModule;
  } catch (error) {
    return {
      ok: false,
      reason: isModuleNotFound(error, 'webgpu')
        ? 'the `webgpu` package (Dawn for Node) is not installed; run `npm install webgpu@0.6.2 -w @ferry/trainer`'
        : `the \`webgpu\` package failed to load (${(error as Error).message})`,
    };
  }
  const gpu = dawn.create(dawnFlags());
  let adapter: unknown;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { ok: false, reason: `Dawn's requestAdapter failed (${(error as Error).message})` };
  }
  if (!adapter) {
    // Only on Linux does Dawn go through Vulkan; elsewhere say it plainly.
    return {
      ok: false,
      reason:
        process.platform === 'linux'
          ? noAdapterReason(vulkanProbe())
          : 'no WebGPU adapter found (no GPU, or Dawn has no backend for it here; see docs/gpu.md)',
    };
  }
  exposeGpu(gpu, dawn.globals);
  try {
    await importModule('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    return {
      ok: false,
      reason: isModuleNotFound(error, '@tensorflow/tfjs-backend-webgpu')
        ? '@tensorflow/tfjs-backend-webgpu is not installed; run `npm install @tensorflow/tfjs-backend-webgpu@4.22.0 -w @ferry/trainer`'
        : `@tensorflow/tfjs-backend-webgpu failed to load (${(error as Error).message})`,
    };
  }
  let ready = false;
  try {
    ready = await tf.setBackend('webgpu');
  } catch (error) {
    return { ok: false, reason: `the tfjs webgpu backend failed to start (${(error as Error).message})` };
  }
  if (!ready) return { ok: false, reason: 'the tfjs webgpu backend failed to start on this adapter' };
  await tf.ready();
  const info = (adapter as { info?: { vendor?: string; architecture?: string; description?: string } }).info;
  const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
  return { ok: true, detail: name || 'WebGPU adapter' };
}
