/**
 * TensorFlow.js backend selection for `ferry train --backend ...`.
 *
 *  - auto:           tfjs-node-gpu when installed, an NVIDIA GPU is present and the CUDA/cuDNN
 *                    libraries are found; else tfjs-node when installed; else wasm.
 *  - wasm:           @tensorflow/tfjs-backend-wasm plus Ferry's gradient kernels (CPU training).
 *  - cpu:            tfjs's pure-JS reference backend (slow; for checking results).
 *  - tensorflow:     @tensorflow/tfjs-node (libtensorflow on CPU); error with install steps if absent.
 *  - tensorflow-gpu: @tensorflow/tfjs-node-gpu; error naming the missing piece (package, GPU, or
 *                    CUDA library) instead of TensorFlow's silent CPU fallback.
 *  - webgpu:         @tensorflow/tfjs-backend-webgpu on Dawn (`webgpu` package); without an adapter
 *                    it falls back to wasm and says why in one line.
 * Neither native package is a dependency: they are imported dynamically, and tests inject the
 * importer to exercise every branch without them.
 */

import {
  findMissingLibraries,
  type LibrarySearch,
  nvidiaGpuPresent,
  systemLibrarySearch,
  TFJS_NODE_GPU_LIBRARIES,
} from './cuda-libraries.js';
import {
  BackendUnavailableError,
  isModuleNotFound,
  loadFailedMessage,
  missingCudaLibrariesMessage,
  noGpuMessage,
  notInstalledMessage,
} from './errors.js';
import { BACKEND_NAMES, type BackendName } from './names.js';
import { tf } from './tfjs.js';
import { systemVulkanProbe, type VulkanProbe } from './vulkan.js';
import { activateWasm } from './wasm.js';
import { activateWebGpu, type ImportModule } from './webgpu.js';

export { BackendUnavailableError } from './errors.js';
export { BACKEND_NAMES, type BackendName, isBackendName } from './names.js';

export { registerWasmGradientKernels } from './wasm-gradients/register.js';

export interface SelectedBackend {
  /** The tfjs namespace to use (tfjs-node's re-export when a native backend was loaded). */
  tf: typeof tf;
  /** Backend actually running, e.g. 'wasm'. */
  name: string;
  /** One line for logs: what was picked and why. */
  description: string;
}

/** What selection needs from the machine; tests replace parts of it. */
export interface BackendEnvironment {
  importModule: ImportModule;
  gpuPresent: () => boolean;
  librarySearch: () => LibrarySearch;
  /** Where the one-line fallback notices go (the CLI's stderr). */
  warn: (line: string) => void;
  /** Vulkan loader and driver manifests, to say why Dawn found no adapter (default: this machine's). */
  vulkanProbe?: () => VulkanProbe;
}

export const systemEnvironment: BackendEnvironment = {
  importModule: (specifier) => import(specifier),
  gpuPresent: nvidiaGpuPresent,
  librarySearch: systemLibrarySearch,
  warn: (line) => console.error(line),
  vulkanProbe: systemVulkanProbe,
};

type NativePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

/** Imports a tfjs-node flavour; throws BackendUnavailableError with the reason when it can't. */
async function loadNative(pkg: NativePackage, env: BackendEnvironment): Promise<typeof tf> {
  let mod: unknown;
  try {
    mod = await env.importModule(pkg);
  } catch (error) {
    throw new BackendUnavailableError(
      isModuleNotFound(error, pkg) ? notInstalledMessage(pkg) : loadFailedMessage(pkg, error),
    );
  }
  const native = ((mod as { default?: unknown }).default ?? mod) as typeof tf;
  if (typeof native?.setBackend !== 'function' || !(await native.setBackend('tensorflow'))) {
    throw new BackendUnavailableError(
      `${pkg} loaded but its 'tensorflow' backend did not start. See docs/gpu.md.`,
    );
  }
  await native.ready();
  return native;
}

/** Checks the GPU preconditions of tfjs-node-gpu; returns the reason it can't run, if any. */
function gpuBlocker(env: BackendEnvironment): string | undefined {
  if (!env.gpuPresent()) return noGpuMessage();
  const missing = findMissingLibraries(TFJS_NODE_GPU_LIBRARIES, env.librarySearch());
  return missing.length > 0 ? missingCudaLibrariesMessage(missing) : undefined;
}

async function useWasm(why: string): Promise<SelectedBackend> {
  await activateWasm(tf);
  return { tf, name: 'wasm', description: `wasm (${why})` };
}

export async function selectBackend(
  requested: BackendName = 'auto',
  env: BackendEnvironment = systemEnvironment,
): Promise<SelectedBackend> {
  switch (requested) {
    case 'cpu':
      await tf.setBackend('cpu');
      await tf.ready();
      return { tf, name: 'cpu', description: 'cpu (pure-JS reference backend, requested)' };
    case 'wasm':
      return useWasm('requested; SIMD, Ferry gradient kernels registered');
    case 'tensorflow': {
      const native = await loadNative('@tensorflow/tfjs-node', env);
      return {
        tf: native,
        name: 'tensorflow',
        description: 'tensorflow (tfjs-node, libtensorflow on CPU, requested)',
      };
    }
    case 'tensorflow-gpu': {
      const blocker = gpuBlocker(env);
      if (blocker) throw new BackendUnavailableError(blocker);
      const native = await loadNative('@tensorflow/tfjs-node-gpu', env);
      return {
        tf: native,
        name: 'tensorflow',
        description: 'tensorflow-gpu (tfjs-node-gpu, CUDA, requested)',
      };
    }
    case 'webgpu': {
      const outcome = await activateWebGpu(tf, env.importModule, env.vulkanProbe);
      if (outcome.ok) return { tf, name: 'webgpu', description: `webgpu (Dawn: ${outcome.detail})` };
      env.warn(`ferry: --backend webgpu unavailable: ${outcome.reason}; falling back to wasm (CPU).`);
      return useWasm(`fallback: webgpu unavailable: ${outcome.reason}`);
    }
    case 'auto':
      return selectAuto(env);
    default:
      throw new BackendUnavailableError(
        `unknown backend '${String(requested)}'; choose one of ${BACKEND_NAMES.join(', ')}`,
      );
  }
}

/** auto: the fastest thing that works, each skip explained in the description. */
async function selectAuto(env: BackendEnvironment): Promise<SelectedBackend> {
  const skipped: string[] = [];
  const blocker = gpuBlocker(env);
  if (blocker) {
    skipped.push(
      env.gpuPresent() ? 'tensorflow-gpu: CUDA libraries missing' : 'tensorflow-gpu: no NVIDIA GPU',
    );
  } else {
    try {
      const native = await loadNative('@tensorflow/tfjs-node-gpu', env);
      return {
        tf: native,
        name: 'tensorflow',
        description: 'tensorflow-gpu (auto: tfjs-node-gpu with a GPU)',
      };
    } catch (error) {
      skipped.push(`tensorflow-gpu: ${shortReason(error, '@tensorflow/tfjs-node-gpu')}`);
    }
  }
  try {
    const native = await loadNative('@tensorflow/tfjs-node', env);
    return {
      tf: native,
      name: 'tensorflow',
      description: `tensorflow (auto: tfjs-node on CPU; skipped ${skipped.join('; ')})`,
    };
  } catch (error) {
    skipped.push(`tensorflow: ${shortReason(error, '@tensorflow/tfjs-node')}`);
  }
  return useWasm(`auto; skipped ${skipped.join('; ')}`);
}

function shortReason(error: unknown, pkg: string): string {
  const message = (error as Error).message ?? String(error);
  return message.startsWith(`${pkg} is not installed`)
    ? 'not installed'
    : (message.split('. ')[0] ?? message);
}
