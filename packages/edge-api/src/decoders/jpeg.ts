import { createJpegDecoder, type JpegDecoder } from '@ferry/codec-jpeg';
import type { DecodeRule, Image, ImageHeader } from '@ferry/core';
import { jpegScaleEighths } from '@ferry/core';

let decoder: Promise<JpegDecoder> | undefined;

/**
 * Hands the JPEG decoder its wasm as an already compiled module: Workers import the .wasm as a
 * CompiledWasm module (workerd cannot compile wasm from bytes); Node compiles the file itself.
 */
export function initJpeg(module: WebAssembly.Module): void {
  decoder = createJpegDecoder(module);
}

/**
 * Every JPEG (CMYK and YCCK too) through @ferry/codec-jpeg's libjpeg-turbo in wasm, at the DCT
 * scale the model's decode rule asks for: the decoder the Node server, `ferry predict`, the
 * trainer and the page use, so Workers see their pixels. Like sharp's `failOn: 'warning'`, any
 * libjpeg warning (truncated or corrupt data) is an error rather than grey-filled pixels.
 */
export async function decodeJpeg(
  bytes: Uint8Array,
  header: Pick<ImageHeader, 'width' | 'height'>,
  rule?: DecodeRule,
): Promise<Image> {
  if (!decoder) throw new Error('JPEG decoder is not initialised (call initJpeg with its wasm module)');
  const eighths = jpegScaleEighths(header.width, header.height, rule);
  try {
    const { width, height, data } = await (await decoder).decode(bytes, { eighths, strict: true });
    return { width, height, channels: 3, data };
  } catch (error) {
    throw new Error(`JPEG decode failed: ${(error as Error).message}`);
  }
}
