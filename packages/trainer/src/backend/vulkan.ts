/**
 * Why Dawn found no WebGPU adapter. On Linux Dawn reaches the GPU only through Vulkan: the loader
 * (libvulkan.so.1) reads driver manifests (ICD JSON files) and dlopens the driver they name. A
 * null adapter alone says nothing, so Ferry looks at both pieces and names the missing one: the
 * fix differs (install libvulkan1, vs. install or point VK_DRIVER_FILES at the NVIDIA ICD).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findMissingLibraries, type LibrarySearch, systemLibrarySearch } from './cuda-libraries.js';

export interface VulkanProbe {
  /** libvulkan.so.1 is on LD_LIBRARY_PATH, in the ldconfig cache or a default directory. */
  loaderFound: boolean;
  /** ICD manifests the loader would read (file paths). */
  icdFiles: string[];
}

/** Where the Vulkan loader looks for driver manifests (besides $XDG_DATA_DIRS), in its order. */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

export function probeVulkan(
  search: LibrarySearch,
  env: Record<string, string | undefined>,
  listDir: (dir: string) => string[],
  exists: (path: string) => boolean,
): VulkanProbe {
  const loaderFound = findMissingLibraries(['libvulkan.so.1'], search).length === 0;
  // VK_DRIVER_FILES (loader >= 1.3.207) and the older VK_ICD_FILENAMES replace the search.
  const explicit = (env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES || '').split(':').filter(Boolean);
  if (explicit.length > 0) return { loaderFound, icdFiles: explicit.filter(exists) };
  const xdg = (env.XDG_DATA_DIRS ?? '')
    .split(':')
    .filter(Boolean)
    .map((d) => join(d, 'vulkan', 'icd.d'));
  const icdFiles = [...new Set([...ICD_DIRS, ...xdg])].flatMap((dir) =>
    listDir(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f)),
  );
  return { loaderFound, icdFiles };
}

export function systemVulkanProbe(): VulkanProbe {
  return probeVulkan(
    systemLibrarySearch(),
    process.env,
    (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    existsSync,
  );
}

/** The reason line for a null adapter, naming the missing piece. */
export function noAdapterReason(probe: VulkanProbe): string {
  if (!probe.loaderFound) {
    return (
      'no WebGPU adapter: Dawn needs the Vulkan loader libvulkan.so.1, which is not on LD_LIBRARY_PATH ' +
      'or in the ldconfig cache (Debian/Ubuntu: apt-get install libvulkan1; see docs/gpu.md)'
    );
  }
  if (probe.icdFiles.length === 0) {
    return (
      'no WebGPU adapter: the Vulkan loader is present but no Vulkan driver manifest (ICD) is installed ' +
      '(none in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d or VK_DRIVER_FILES); on NVIDIA point ' +
      "VK_DRIVER_FILES at the driver's nvidia_icd.json (see docs/gpu.md)"
    );
  }
  const names = probe.icdFiles.map((f) => basename(f, '.json')).join(', ');
  const nvidia = probe.icdFiles.some((f) => /nvidia/i.test(basename(f)));
  return (
    `no WebGPU adapter: Dawn found no usable Vulkan device through the installed drivers (${names})` +
    (nvidia
      ? '; the NVIDIA driver may be too old for Dawn or the GPU not visible here'
      : '; there is no NVIDIA driver manifest (nvidia_icd.json), so no GPU, or VK_DRIVER_FILES must point at it') +
    ' (see docs/gpu.md)'
  );
}
