import type { Image } from '@ferry/core';
// The emscripten factory itself, not jsquash's async `decode`: that one awaits between calls, so
// the warnings of two concurrent decodes could interleave; calling `module.decode` synchronously
// keeps each decode's libjpeg messages its own.
import mozjpegFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { decode as decodeWithJpegJs } from 'jpeg-js';

interface MozjpegModule {
  decode(
    data: BufferSource,
    preserveOrientation: boolean,
  ): { width: number; height: number; data: Uint8ClampedArray } | null;
}
type Factory = (overrides: Record<string, unknown>) => Promise<MozjpegModule>;

let compiled: WebAssembly.Module | undefined;
let instance: Promise<MozjpegModule> | undefined;
/** libjpeg's warnings and errors for the decode in progress (emscripten prints them to stderr). */
let messages: string[] = [];

function instantiate(module: WebAssembly.Module): Promise<MozjpegModule> {
  return (mozjpegFactory as unknown as Factory)({
    noInitialRun: true,
    // workerd cannot compile wasm from bytes: hand emscripten the precompiled module.
    instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) => {
      const wasm = new WebAssembly.Instance(module, imports);
      done(wasm);
      return wasm.exports;
    },
    print: (line: string) => messages.push(line),
    printErr: (line: string) => messages.push(line),
  });
}

/**
 * Hands the JPEG decoder (libjpeg-turbo's decoder as built into mozjpeg, via @jsquash/jpeg) its
 * wasm as an already compiled module: Workers import the .wasm as a CompiledWasm module; Node
 * compiles the file itself.
 */
export function initJpeg(module: WebAssembly.Module): void {
  compiled = module;
  instance = instantiate(module);
}

/**
 * JPEG via libjpeg(-turbo) compiled to wasm: the same IDCT and "fancy" chroma upsampling as the
 * libjpeg-turbo inside sharp, so Workers see the Node server's pixels (a pure-JS decoder was up
 * to 0.09 off in probability on real photos). Like sharp's `failOn: 'warning'`, any libjpeg
 * warning (truncated or corrupt data) is an error rather than grey-filled pixels.
 * CMYK/YCCK files (`components === 4`), which libjpeg cannot turn into RGB, go through jpeg-js.
 */
export async function decodeJpeg(
  bytes: Uint8Array,
  components: number | undefined,
  maxPixels: number,
): Promise<Image> {
  if (components === 4) return decodeCmykJpeg(bytes, maxPixels);
  if (!instance || !compiled)
    throw new Error('JPEG decoder is not initialised (call initJpeg with its wasm module)');
  const module = await instance;
  // From here to the end of decode() nothing awaits, so no other request can add messages.
  messages = [];
  let decoded: ReturnType<MozjpegModule['decode']>;
  try {
    decoded = module.decode(bytes as Uint8Array<ArrayBuffer>, false);
  } catch (error) {
    // A fatal libjpeg error ends in emscripten's exit(): start from a fresh instance next time.
    instance = instantiate(compiled);
    throw new Error(`JPEG decode failed: ${messages.join('; ') || (error as Error).message}`);
  }
  if (!decoded) throw new Error(`JPEG decode failed: ${messages.join('; ') || 'no image'}`);
  if (messages.length > 0) throw new Error(`corrupt JPEG: ${messages.join('; ')}`);
  return {
    width: decoded.width,
    height: decoded.height,
    channels: 4,
    data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength),
  };
}

/**
 * CMYK/YCCK JPEG (Adobe) in pure JS: jpeg-js converts them to RGB when asked for RGBA.
 * `tolerantDecoding: false` makes truncated files fail instead of coming back half grey.
 */
function decodeCmykJpeg(bytes: Uint8Array, maxPixels: number): Image {
  const decoded = decodeWithJpegJs(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    tolerantDecoding: false,
    maxResolutionInMP: maxPixels / 1e6,
    maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / 2 ** 20) + 64,
  });
  return { width: decoded.width, height: decoded.height, channels: 4, data: decoded.data };
}
