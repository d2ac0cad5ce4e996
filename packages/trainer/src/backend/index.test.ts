import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { LibrarySearch } from './cuda-libraries.js';
import { TFJS_NODE_GPU_LIBRARIES } from './cuda-libraries.js';
import {
  type BackendEnvironment,
  BackendUnavailableError,
  selectBackend,
  systemEnvironment,
} from './index.js';

// The native packages cannot be installed on these machines (their install downloads
// libtensorflow), so the importer is injected: it fails exactly the way Node fails, or hands back
// the real tfjs namespace with a real (cpu-backed) backend registered under tfjs-node's name.

function notFound(specifier: string): Error {
  return Object.assign(
    new Error(`Cannot find package '${specifier}' imported from /app/dist/backend/index.js`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
}

const allLibraries: LibrarySearch = {
  ldLibraryPath: '/opt/cuda',
  ldconfigListing: '',
  exists: (path) => TFJS_NODE_GPU_LIBRARIES.some((lib) => path === `/opt/cuda/${lib}`),
};
const noLibraries: LibrarySearch = { ldLibraryPath: undefined, ldconfigListing: '', exists: () => false };

/** A machine with the given packages importable, GPU and libraries; warnings collected. */
function machine(opts: {
  installed?: string[];
  failing?: Record<string, Error>;
  gpu?: boolean;
  libraries?: LibrarySearch;
}): BackendEnvironment & { warnings: string[]; imported: string[] } {
  const warnings: string[] = [];
  const imported: string[] = [];
  return {
    warnings,
    imported,
    importModule: async (specifier) => {
      imported.push(specifier);
      const failure = opts.failing?.[specifier];
      if (failure) throw failure;
      if (opts.installed?.includes(specifier)) return tf;
      throw notFound(specifier);
    },
    gpuPresent: () => opts.gpu ?? false,
    librarySearch: () => opts.libraries ?? noLibraries,
    warn: (line) => warnings.push(line),
  };
}

/** tfjs-node registers a backend called 'tensorflow'; stand one up from the real cpu kernels. */
function registerTensorflowStandIn(): void {
  if (!tf.findBackend('tensorflow')) {
    const cpuFactory = tf.findBackendFactory('cpu');
    if (!cpuFactory) throw new Error('tfjs cpu backend factory missing');
    tf.registerBackend('tensorflow', cpuFactory, -1);
  }
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('selectBackend: plain CPU backends', () => {
  it('wasm runs with the gradient kernels registered', async () => {
    const selected = await selectBackend('wasm', machine({}));
    expect(selected.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeDefined();
    // A gradient through a conv really runs on wasm now.
    const g = tf.grad((w: tf.Tensor) =>
      tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').sum(),
    );
    expect(Array.from(g(tf.ones([3, 3, 2, 1])).dataSync())[8]).toBe(25); // centre tap sees all 25 pixels
  });

  it('cpu is the reference backend', async () => {
    const selected = await selectBackend('cpu', machine({}));
    expect(selected.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown name with the list of choices', async () => {
    await expect(selectBackend('cuda' as never, machine({}))).rejects.toThrow(
      /unknown backend 'cuda'; choose one of auto, wasm, cpu, tensorflow, tensorflow-gpu, webgpu/,
    );
  });
});

describe('selectBackend: tensorflow (tfjs-node)', () => {
  it('not installed: install command and docs link', async () => {
    const error = await selectBackend('tensorflow', machine({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/@tensorflow\/tfjs-node is not installed/);
    expect((error as Error).message).toContain('npm install @tensorflow/tfjs-node@4.22.0');
    expect((error as Error).message).toContain('docs/gpu.md');
  });

  it('installed without libtensorflow: tells the user to rebuild', async () => {
    const dlopen = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
    const error = await selectBackend(
      'tensorflow',
      machine({ failing: { '@tensorflow/tfjs-node': dlopen } }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/native library libtensorflow\.so\.2 is missing/);
    expect((error as Error).message).toContain('npm rebuild @tensorflow/tfjs-node');
  });

  it('installed: returns the package namespace and its tensorflow backend', async () => {
    registerTensorflowStandIn();
    const selected = await selectBackend('tensorflow', machine({ installed: ['@tensorflow/tfjs-node'] }));
    expect(selected.name).toBe('tensorflow');
    expect(selected.tf.getBackend()).toBe('tensorflow');
  });
});

describe('selectBackend: tensorflow-gpu (tfjs-node-gpu)', () => {
  it('no GPU: says so before importing anything', async () => {
    const env = machine({ installed: ['@tensorflow/tfjs-node-gpu'], libraries: allLibraries });
    await expect(selectBackend('tensorflow-gpu', env)).rejects.toThrow(/needs an NVIDIA GPU/);
    expect(env.imported).toEqual([]);
  });

  it('GPU but missing CUDA libraries: names them instead of silently training on CPU', async () => {
    const partial: LibrarySearch = {
      ...allLibraries,
      exists: (path) =>
        path.startsWith('/opt/cuda/') && !path.endsWith('libcudnn.so.8') && !path.endsWith('libcufft.so.10'),
    };
    const error = await selectBackend(
      'tensorflow-gpu',
      machine({ installed: ['@tensorflow/tfjs-node-gpu'], gpu: true, libraries: partial }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain('needs libcufft.so.10, libcudnn.so.8,');
    expect((error as Error).message).toContain('LD_LIBRARY_PATH');
    expect((error as Error).message).toContain('docs/gpu.md');
  });

  it('GPU and libraries but package absent: install command', async () => {
    await expect(
      selectBackend('tensorflow-gpu', machine({ gpu: true, libraries: allLibraries })),
    ).rejects.toThrow(
      /@tensorflow\/tfjs-node-gpu is not installed.*npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/,
    );
  });

  it('a library the check missed still fails with its name', async () => {
    const dlopen = new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
    await expect(
      selectBackend(
        'tensorflow-gpu',
        machine({ gpu: true, libraries: allLibraries, failing: { '@tensorflow/tfjs-node-gpu': dlopen } }),
      ),
    ).rejects.toThrow(
      /could not load libcudart\.so\.11\.0\. Put the directory containing it on LD_LIBRARY_PATH/,
    );
  });

  it('everything present: uses it', async () => {
    registerTensorflowStandIn();
    const selected = await selectBackend(
      'tensorflow-gpu',
      machine({ installed: ['@tensorflow/tfjs-node-gpu'], gpu: true, libraries: allLibraries }),
    );
    expect(selected.name).toBe('tensorflow');
    expect(selected.description).toMatch(/^tensorflow-gpu/);
  });
});

describe('selectBackend: auto', () => {
  it('nothing native installed, no GPU: wasm, and says what it skipped', async () => {
    const selected = await selectBackend('auto', machine({}));
    expect(selected.name).toBe('wasm');
    expect(selected.description).toContain('tensorflow-gpu: no NVIDIA GPU');
    expect(selected.description).toContain('tensorflow: not installed');
  });

  it('prefers tfjs-node-gpu when it has a GPU and libraries', async () => {
    registerTensorflowStandIn();
    const env = machine({
      installed: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
      gpu: true,
      libraries: allLibraries,
    });
    const selected = await selectBackend('auto', env);
    expect(selected.description).toMatch(/^tensorflow-gpu \(auto/);
    expect(env.imported).toEqual(['@tensorflow/tfjs-node-gpu']);
  });

  it('GPU without CUDA libraries: falls to tfjs-node, never imports the GPU package', async () => {
    registerTensorflowStandIn();
    const env = machine({ installed: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'], gpu: true });
    const selected = await selectBackend('auto', env);
    expect(selected.name).toBe('tensorflow');
    expect(selected.description).toContain('tensorflow-gpu: CUDA libraries missing');
    expect(env.imported).toEqual(['@tensorflow/tfjs-node']);
  });
});

describe('selectBackend: webgpu', () => {
  it('webgpu package missing: falls back to wasm with one line saying why', async () => {
    const env = machine({});
    const selected = await selectBackend('webgpu', env);
    expect(selected.name).toBe('wasm');
    expect(env.warnings).toHaveLength(1);
    expect(env.warnings[0]).toMatch(
      /--backend webgpu unavailable: the `webgpu` package .* is not installed.*falling back to wasm/,
    );
  });

  it('real Dawn on this machine: runs on the GPU if it has one, else one clear fallback line', async () => {
    const warnings: string[] = [];
    const selected = await selectBackend('webgpu', {
      ...systemEnvironment,
      warn: (line) => warnings.push(line),
    });
    if (selected.name === 'webgpu') {
      // A GPU machine: the backend must actually compute.
      expect(Array.from(await tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])).data())).toEqual([4, 6]);
      expect(warnings).toEqual([]);
    } else {
      // CI and the dev boxes: no adapter, so wasm, and the user is told why in one line.
      console.log(`webgpu fallback seen: ${warnings[0]}`);
      expect(selected.name).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^ferry: --backend webgpu unavailable: .+; falling back to wasm \(CPU\)\.$/,
      );
      expect(selected.description).toContain('fallback');
    }
  });
});
