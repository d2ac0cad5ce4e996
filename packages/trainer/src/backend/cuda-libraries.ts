/**
 * The shared libraries @tensorflow/tfjs-node-gpu 4.x (libtensorflow 2.9.1) dlopens for its GPU
 * device. TensorFlow does not fail when one is missing: it logs "Could not load dynamic library"
 * and silently trains on the CPU. Ferry looks for them first so `--backend tensorflow-gpu` can
 * refuse with a precise message instead of quietly running at CPU speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Sonames TF 2.9 asks for (CUDA 11.x runtime libraries keep these names up to 11.8; cuDNN 8.x). */
export const TFJS_NODE_GPU_LIBRARIES: readonly string[] = [
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
];

export interface LibrarySearch {
  /** Value of LD_LIBRARY_PATH (colon separated), searched first like the dynamic loader does. */
  ldLibraryPath: string | undefined;
  /** Output of `ldconfig -p` (the loader cache), or '' when unavailable. */
  ldconfigListing: string;
  exists: (path: string) => boolean;
}

/** Directories the loader falls back to for CUDA on common layouts (Debian/Ubuntu, NVIDIA .run). */
const DEFAULT_DIRS = [
  '/usr/local/cuda/lib64',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib64',
  '/lib/x86_64-linux-gnu',
];

/** Returns the libraries from `names` that neither LD_LIBRARY_PATH, the cache nor the defaults have. */
export function findMissingLibraries(names: readonly string[], search: LibrarySearch): string[] {
  const dirs = [...(search.ldLibraryPath ?? '').split(':').filter(Boolean), ...DEFAULT_DIRS];
  const cached = new Set(
    search.ldconfigListing
      .split('\n')
      .map((line) => line.trim().split(' ')[0])
      .filter((name): name is string => Boolean(name)),
  );
  return names.filter((name) => !cached.has(name) && !dirs.some((dir) => search.exists(join(dir, name))));
}

/** The real machine: its environment, its loader cache, its file system. */
export function systemLibrarySearch(): LibrarySearch {
  let ldconfigListing = '';
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    if (!existsSync(ldconfig)) continue;
    try {
      ldconfigListing = execFileSync(ldconfig, ['-p'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      break;
    } catch {
      // An unreadable cache just means we rely on LD_LIBRARY_PATH and the default directories.
    }
  }
  return { ldLibraryPath: process.env.LD_LIBRARY_PATH, ldconfigListing, exists: existsSync };
}

/** True when an NVIDIA kernel driver exposes at least one GPU (/proc/driver/nvidia/gpus/*). */
export function nvidiaGpuPresent(): boolean {
  try {
    return readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    return existsSync('/dev/nvidia0');
  }
}
