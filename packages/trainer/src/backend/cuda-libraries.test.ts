import { describe, expect, it } from 'vitest';
import { findMissingLibraries, TFJS_NODE_GPU_LIBRARIES } from './cuda-libraries.js';

// A realistic `ldconfig -p` excerpt: the loader cache format Ferry parses.
const LDCONFIG = `9 libs found in cache \`/etc/ld.so.cache'
\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda-11.8/lib64/libcudart.so.11.0
\tlibcublasLt.so.11 (libc6,x86-64) => /usr/local/cuda-11.8/lib64/libcublasLt.so.11
\tlibcublas.so.11 (libc6,x86-64) => /usr/local/cuda-11.8/lib64/libcublas.so.11
\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6
`;

describe('findMissingLibraries', () => {
  it('reports every library when nothing is installed', () => {
    const missing = findMissingLibraries(TFJS_NODE_GPU_LIBRARIES, {
      ldLibraryPath: undefined,
      ldconfigListing: '',
      exists: () => false,
    });
    expect(missing).toEqual([...TFJS_NODE_GPU_LIBRARIES]);
  });

  it('accepts libraries from the ldconfig cache and from LD_LIBRARY_PATH directories', () => {
    const wheelDir = '/venv/lib/python3.10/site-packages/nvidia/cudnn/lib';
    const present = new Set([
      `${wheelDir}/libcudnn.so.8`,
      '/opt/cu/libcufft.so.10',
      '/opt/cu/libcurand.so.10',
    ]);
    const missing = findMissingLibraries(TFJS_NODE_GPU_LIBRARIES, {
      ldLibraryPath: `/opt/cu::${wheelDir}`,
      ldconfigListing: LDCONFIG,
      exists: (path) => present.has(path),
    });
    expect(missing).toEqual(['libcusolver.so.11', 'libcusparse.so.11']);
  });

  it('does not accept a different soname (CUDA 12 libcudart.so.12 is not libcudart.so.11.0)', () => {
    const missing = findMissingLibraries(['libcudart.so.11.0'], {
      ldLibraryPath: '/usr/local/cuda-12/lib64',
      ldconfigListing: '\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12/lib64/libcudart.so.12\n',
      exists: (path) => path === '/usr/local/cuda-12/lib64/libcudart.so.12',
    });
    expect(missing).toEqual(['libcudart.so.11.0']);
  });
});
