import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { LibrarySearch } from './cuda-libraries.js';
import { noAdapterReason, probeVulkan } from './vulkan.js';
import { activateWebGpu } from './webgpu.js';

// Machines described by their files: which directories list which manifests, which libraries exist.
const withLoader: LibrarySearch = {
  ldLibraryPath: '/bundle/lib',
  ldconfigListing: '',
  exists: (p) => p === '/bundle/lib/libvulkan.so.1',
};
const noLoader: LibrarySearch = { ldLibraryPath: undefined, ldconfigListing: '', exists: () => false };
const dirs =
  (listing: Record<string, string[]>) =>
  (dir: string): string[] =>
    listing[dir] ?? [];

describe('probeVulkan', () => {
  it('finds the loader through LD_LIBRARY_PATH and manifests in the standard and XDG dirs', () => {
    const probe = probeVulkan(
      withLoader,
      { XDG_DATA_DIRS: '/opt/share' },
      dirs({
        '/usr/share/vulkan/icd.d': ['lvp_icd.x86_64.json', 'README'],
        '/opt/share/vulkan/icd.d': ['nvidia_icd.json'],
      }),
      () => true,
    );
    expect(probe).toEqual({
      loaderFound: true,
      icdFiles: ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/opt/share/vulkan/icd.d/nvidia_icd.json'],
    });
  });

  it('VK_DRIVER_FILES replaces the search, and a listed file that does not exist is not counted', () => {
    const probe = probeVulkan(
      noLoader,
      { VK_DRIVER_FILES: '/tmp/nvidia_icd.json:/gone.json' },
      dirs({ '/usr/share/vulkan/icd.d': ['lvp_icd.x86_64.json'] }),
      (p) => p === '/tmp/nvidia_icd.json',
    );
    expect(probe).toEqual({ loaderFound: false, icdFiles: ['/tmp/nvidia_icd.json'] });
  });
});

describe('noAdapterReason names the missing piece', () => {
  it('no loader: libvulkan.so.1 and how to install it', () => {
    expect(noAdapterReason({ loaderFound: false, icdFiles: [] })).toMatch(
      /libvulkan\.so\.1, which is not on LD_LIBRARY_PATH.*apt-get install libvulkan1/,
    );
  });
  it('loader without any driver manifest: VK_DRIVER_FILES and nvidia_icd.json', () => {
    expect(noAdapterReason({ loaderFound: true, icdFiles: [] })).toMatch(
      /no Vulkan driver manifest \(ICD\).*VK_DRIVER_FILES.*nvidia_icd\.json/,
    );
  });
  it('only software/other-vendor drivers (a CPU-only box like CI): lists them, says there is no NVIDIA one', () => {
    const reason = noAdapterReason({
      loaderFound: true,
      icdFiles: [
        '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
        '/usr/share/vulkan/icd.d/intel_icd.x86_64.json',
      ],
    });
    expect(reason).toContain('(lvp_icd.x86_64, intel_icd.x86_64)');
    expect(reason).toContain('no NVIDIA driver manifest');
  });
  it('an NVIDIA manifest but still no adapter: points at the driver', () => {
    expect(noAdapterReason({ loaderFound: true, icdFiles: ['/etc/vulkan/icd.d/nvidia_icd.json'] })).toMatch(
      /NVIDIA driver may be too old/,
    );
  });
});

describe('activateWebGpu with the real Dawn', () => {
  it('without an adapter, the reason comes from the probe (here: a machine with no loader)', async () => {
    const outcome = await activateWebGpu(
      tf,
      (specifier) => import(specifier),
      () => ({ loaderFound: false, icdFiles: [] }),
    );
    if (outcome.ok) {
      // A GPU machine: Dawn found an adapter, the probe is never consulted.
      expect(outcome.detail.length).toBeGreaterThan(0);
      await tf.setBackend('cpu');
    } else {
      expect(outcome.reason).toMatch(/libvulkan\.so\.1/);
    }
  });
});
