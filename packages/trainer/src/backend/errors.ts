/**
 * Messages for backends that cannot be used. Each says what is missing, the one command or setting
 * that fixes it, and where the long version lives (docs/gpu.md), because the user reading it is
 * usually on a freshly rented GPU box.
 */
export const GPU_DOCS = 'docs/gpu.md in the Ferry repository';

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export function isModuleNotFound(error: unknown, specifier: string): boolean {
  const e = error as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  const message = String(e?.message ?? '');
  return (
    (code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /Cannot find (package|module)/.test(message)) &&
    message.includes(specifier)
  );
}

/** The shared object a dlopen failure names, e.g. "libtensorflow.so.2" or "libcudart.so.11.0". */
export function missingSharedObject(error: unknown): string | undefined {
  const message = String((error as Error | undefined)?.message ?? error);
  return /([\w.+-]+\.so(?:\.[\d.]+)?): cannot open shared object file/.exec(message)?.[1];
}

export function notInstalledMessage(pkg: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu'): string {
  const gpuNote =
    pkg === '@tensorflow/tfjs-node-gpu'
      ? ' It needs an NVIDIA driver plus the CUDA 11 runtime and cuDNN 8 libraries on LD_LIBRARY_PATH.'
      : '';
  return (
    `${pkg} is not installed, so this backend is unavailable. Install it next to Ferry with ` +
    `\`npm install ${pkg}@4.22.0\` (its install step downloads libtensorflow 2.9.1, so the machine ` +
    `needs internet access).${gpuNote} See ${GPU_DOCS}. Without it use --backend wasm (CPU) or --backend auto.`
  );
}

export function loadFailedMessage(pkg: string, error: unknown): string {
  const lib = missingSharedObject(error);
  const detail = String((error as Error | undefined)?.message ?? error).split('\n')[0];
  if (lib?.startsWith('libtensorflow')) {
    return (
      `${pkg} is installed but its native library ${lib} is missing (the install step that downloads ` +
      `libtensorflow failed or was skipped). Re-run \`npm rebuild ${pkg}\` with internet access. See ${GPU_DOCS}. (${detail})`
    );
  }
  if (lib) {
    return (
      `${pkg} is installed but could not load ${lib}. Put the directory containing it on LD_LIBRARY_PATH ` +
      `(see ${GPU_DOCS}). (${detail})`
    );
  }
  return `${pkg} is installed but failed to load: ${detail}. See ${GPU_DOCS}.`;
}

export function noGpuMessage(): string {
  return (
    '--backend tensorflow-gpu needs an NVIDIA GPU, but no NVIDIA driver exposes one here ' +
    `(/proc/driver/nvidia/gpus is empty or missing). Use --backend tensorflow or wasm, or see ${GPU_DOCS}.`
  );
}

export function missingCudaLibrariesMessage(missing: readonly string[]): string {
  return (
    `--backend tensorflow-gpu: @tensorflow/tfjs-node-gpu (libtensorflow 2.9.1) needs ${missing.join(', ')}, ` +
    'which are not on LD_LIBRARY_PATH or in the ldconfig cache. TensorFlow would only log ' +
    '"Could not load dynamic library" and silently train on the CPU, so Ferry stops here. Install the ' +
    'CUDA 11.8 runtime and cuDNN 8.9 libraries (e.g. pip wheels nvidia-cuda-runtime-cu11, nvidia-cublas-cu11, ' +
    `nvidia-cufft-cu11, nvidia-curand-cu11, nvidia-cusolver-cu11, nvidia-cusparse-cu11, nvidia-cudnn-cu11==8.9.*) and export LD_LIBRARY_PATH; see ${GPU_DOCS}.`
  );
}
