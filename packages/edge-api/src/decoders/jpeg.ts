import { createJpegDecoder, type JpegDecoder } from '@ferry/codec-jpeg';
import { type DecodeRule, type Image, type ImageHeader, jpegScaleEighths } from '@ferry/core';
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
let scaling: Promise<JpegDecoder> | undefined;
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
 * Hands the JPEG decoders their wasm as already compiled modules (Workers import the .wasm as
 * CompiledWasm modules; Node compiles the files itself): `scaled` is @ferry/codec-jpeg's
 * libjpeg-turbo with DCT-domain scaling, used for every JPEG when present; `mozjpeg`
 * (libjpeg-turbo's decoder inside mozjpeg, via @jsquash/jpeg) is the full-size fallback for an
 * install where that wasm was not built, instantiated only if it is ever needed, so its memory
 * is not spent otherwise.
 */
export function initJpeg(mozjpeg: WebAssembly.Module, scaled?: WebAssembly.Module): void {
  compiled = mozjpeg;
  instance = undefined;
  scaling = scaled ? createJpegDecoder(scaled) : undefined;
}

/**
 * JPEG via libjpeg(-turbo) compiled to wasm: the decoder the Node server, `ferry predict` and the
 * trainer use for JPEGs too, so Workers see their pixels (a pure-JS decoder was up to 0.09 off in
 * probability on real photos). With the model's decode rule, the scaled decoder
 * decodes at 1/2, 1/4 or 1/8 in the DCT domain, as every other runtime does for that model.
 * Like sharp's `failOn: 'warning'`, any libjpeg warning (truncated or corrupt data) is an error
 * rather than grey-filled pixels. CMYK/YCCK files (`components === 4`), which libjpeg cannot
 * turn into RGB, go through jpeg-js at full size.
 */
export async function decodeJpeg(
  bytes: Uint8Array,
  header: Pick<ImageHeader, 'width' | 'height' | 'components'>,
  maxPixels: number,
  rule?: DecodeRule,
): Promise<Image> {
  if (header.components === 4) return decodeCmykJpeg(bytes, maxPixels);
  if (scaling) {
    const decoder = await scaling;
    const eighths = jpegScaleEighths(header.width, header.height, rule);
    try {
      const { width, height, data } = await decoder.decode(bytes, { eighths, strict: true });
      return { width, height, channels: 3, data };
    } catch (error) {
      throw new Error(`JPEG decode failed: ${(error as Error).message}`);
    }
  }
  if (!compiled) throw new Error('JPEG decoder is not initialised (call initJpeg with its wasm module)');
  instance ??= instantiate(compiled);
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
