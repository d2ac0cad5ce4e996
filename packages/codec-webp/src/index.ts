/**
 * libwebp's decoder in WebAssembly, handing out rows as it decodes them, so a caller that reduces
 * the image never holds its full frame: a 4032x3024 lossy WebP box-reduced to 504x378 needs about
 * 2 MB of wasm memory, where a whole-frame decode needs 48 MB. The pixels are the ones
 * WebPDecodeRGB/RGBA give (libwebp's own fancy upsampler and emitters), the ones sharp gives.
 *
 * What stays in memory for the length of one decode, per pixel of the image (native/ferry_webp.c):
 * lossy 0 (a few rows); lossy with alpha 1 (libwebp's alpha plane) plus the alpha's own lossless
 * decoder, 1 (palette-coded alpha) or 4 (other alpha); lossless 4 (VP8L's ARGB image); the first
 * frame of an animation what its frame's kind needs, at the frame's size. Plus the file itself.
 *
 * The box reduction is core's (`createBoxReducer`, the same rule as every other runtime's), fed
 * one row at a time. Each runtime hands over the compiled module its own way, as for
 * @ferry/codec-jpeg: Workers import it (`@ferry/codec-webp/workers-module`), Node reads the file
 * (`@ferry/codec-webp/node`), bundlers copy it (`@ferry/codec-webp/wasm-url`).
 */
import { createBoxReducer, type Image } from '@ferry/core';
import { instantiate, loadInput, WebpDecodeError } from './instance.js';

/**
 * Identifies this decoder build: the committed wasm's sha256 (wasm/PROVENANCE.json), for keys of
 * caches over decoded pixels.
 */
export { WEBP_DECODER_ID } from '../wasm/ferry-webp-id.js';
export { WebpDecodeError };

export interface WebpHeader {
  /** The image's size; an animation's canvas size. */
  width: number;
  height: number;
  /** Bytes a pixel of the rows handed out: 4 (RGBA, straight alpha) with alpha or for an animation, else 3. */
  channels: 3 | 4;
  /** 'lossy' (VP8, with or without an ALPH chunk), 'lossless' (VP8L), 'animation' (its first frame is decoded). */
  format: 'lossy' | 'lossless' | 'animation';
  hasAlpha: boolean;
  /** Frames of an animation; 1 for a still image. */
  frames: number;
}

/** Takes the rows of one decode, top to bottom; `row` is valid only during the call. */
export type RowSink = (row: Uint8Array, y: number) => void;

export interface WebpDecoder {
  header(bytes: Uint8Array): Promise<WebpHeader>;
  /**
   * Decodes the image (an animation's first frame, composed onto its transparent canvas as
   * libvips does) and hands each row to the sink `start` returns for its header.
   */
  decodeRows(bytes: Uint8Array, start: (header: WebpHeader) => RowSink): Promise<WebpHeader>;
  /**
   * The image box-reduced by `factor` (core's createBoxReducer; alpha flattened on white): RGB,
   * byte for byte what core's `boxReduce` makes of sharp's decode (factor 1: its `toRgb`).
   */
  decodeReduced(bytes: Uint8Array, factor: number): Promise<Image>;
  /** Bytes of wasm memory the decoder holds now (wasm memory grows and never shrinks). */
  memoryBytes(): number;
}

const FORMATS = ['animation', 'lossy', 'lossless'] as const;

/** Carries an error of the caller's sink (or `start`) through `guarded`: not the instance's fault. */
class SinkError {
  constructor(readonly error: unknown) {}
}

/**
 * A decoder around one wasm instance. Calls are serialised by construction: everything between
 * copying the bytes in and the last row out is synchronous (no await), so concurrent calls cannot
 * interleave. If the instance ever traps, it is replaced before the next call.
 */
export async function createWebpDecoder(module: WebAssembly.Module): Promise<WebpDecoder> {
  let wasm = await instantiate(module);
  let broken = false;

  // Replaces a trapped instance; the only await of a call, before the bytes go in.
  const ready = async (): Promise<void> => {
    if (!broken) return;
    wasm = await instantiate(module);
    broken = false;
  };
  // Anything but our own error or the sink's came from the instance itself: it is replaced.
  const guarded = <T>(body: () => T): T => {
    try {
      return body();
    } catch (error) {
      if (error instanceof WebpDecodeError) throw error;
      if (error instanceof SinkError) throw error.error;
      broken = true;
      throw new WebpDecodeError(`WebP decoder trapped: ${(error as Error).message ?? error}`);
    }
  };
  const readHeader = (size: number): WebpHeader => {
    if (wasm._ferry_webp_header(size) !== 0)
      throw new WebpDecodeError(wasm.UTF8ToString(wasm._ferry_webp_message()));
    const at = wasm._ferry_webp_info() >> 2;
    const [width, height, channels, format, frames, hasAlpha] = wasm.HEAP32.subarray(at, at + 6);
    return {
      width: width!,
      height: height!,
      channels: channels === 4 ? 4 : 3,
      format: FORMATS[format!] ?? 'lossy',
      hasAlpha: hasAlpha === 1,
      frames: frames!,
    };
  };
  // Everything from the bytes going in to the last row coming out, synchronously.
  const decodeRowsNow = (bytes: Uint8Array, start: (header: WebpHeader) => RowSink): WebpHeader => {
    const size = loadInput(wasm, bytes);
    const header = readHeader(size);
    let sink: RowSink;
    try {
      sink = start(header);
    } catch (error) {
      throw new SinkError(error);
    }
    const stride = header.width * header.channels;
    const instance = wasm;
    let next = 0;
    let refused: { error: unknown } | undefined;
    instance.onRows = (pointer, first, count, rowBytes) => {
      try {
        if (first !== next || rowBytes !== stride)
          throw new WebpDecodeError(`rows out of order: row ${first} after ${next} (stride ${rowBytes})`);
        const heap = instance.HEAPU8; // a fresh view: memory may have grown since the last rows
        for (let i = 0; i < count; i++)
          sink(heap.subarray(pointer + i * stride, pointer + (i + 1) * stride), first + i);
        next = first + count;
        return 1;
      } catch (error) {
        refused = { error };
        return 0;
      }
    };
    try {
      const status = instance._ferry_webp_decode(size);
      // The sink threw: libwebp stopped and freed its buffers; the instance is fine.
      if (refused) throw new SinkError(refused.error);
      if (status !== 0) throw new WebpDecodeError(instance.UTF8ToString(instance._ferry_webp_message()));
      if (next !== header.height)
        throw new WebpDecodeError(`WebP decode handed out ${next} of ${header.height} rows`);
      return header;
    } finally {
      instance.onRows = undefined;
    }
  };
  return {
    async header(bytes) {
      await ready();
      return guarded(() => readHeader(loadInput(wasm, bytes)));
    },
    async decodeRows(bytes, start) {
      await ready();
      return guarded(() => decodeRowsNow(bytes, start));
    },
    async decodeReduced(bytes, factor) {
      if (!Number.isInteger(factor) || factor < 1)
        throw new WebpDecodeError(`box factor must be a positive integer, got ${factor}`);
      await ready();
      return guarded(() => {
        let reducer: ReturnType<typeof createBoxReducer> | undefined;
        decodeRowsNow(bytes, (header) => {
          const rows = createBoxReducer(header.width, header.height, header.channels, factor);
          reducer = rows;
          return (row) => rows.push(row);
        });
        return reducer!.finish();
      });
    },
    memoryBytes: () => wasm.HEAPU8.byteLength,
  };
}
