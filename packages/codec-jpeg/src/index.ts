/**
 * libjpeg-turbo's TurboJPEG decoder in WebAssembly, with DCT-domain scaling (M/8, M = 1..8): a
 * 4032x3024 photo decodes at 1/8 scale straight to 504x378 RGB, so no full-resolution frame is
 * ever allocated.
 * The same wasm runs in Workers, the browser page and Node (server, `ferry predict`, trainer),
 * so a JPEG becomes the same pixels everywhere. Which scale to use is core's decode rule
 * (`jpegScaleEighths`); this package only decodes.
 *
 * Each runtime hands over the compiled module its own way: Workers import it (wrangler
 * CompiledWasm, `@ferry/codec-jpeg/workers-module`), Node reads the file (`@ferry/codec-jpeg/node`),
 * bundlers copy it (`@ferry/codec-jpeg/wasm-url`). The .wasm is committed (wasm/PROVENANCE.json
 * says what built it), so every install has it.
 */
import { instantiate, JpegDecodeError, loadInput } from './instance.js';
import { scansForEighth } from './progressive.js';

export { JpegDecodeError };

/** A DCT scale in eighths: the image decodes at eighths/8 of its stored size. */
export type ScaleEighths = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

export interface DecodedJpeg {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
  /** The scale the pixels were decoded at: eighths/8 of the stored size. */
  eighths: ScaleEighths;
}

export interface JpegHeader {
  width: number;
  height: number;
  /** TurboJPEG's TJSAMP_* value (0 4:4:4, 1 4:2:2, 2 4:2:0, 3 grey, ...). */
  subsampling: number;
  /** TurboJPEG's TJCS_* value (0 RGB, 1 YCbCr, 2 grey, 3 CMYK, 4 YCCK). */
  colorspace: number;
}

export interface DecodeOptions {
  /** Decode at eighths/8 of the stored size (libjpeg rounds each side up). Default 8: full size. */
  eighths?: ScaleEighths;
  /**
   * Refuse any libjpeg warning (truncated or corrupt data) instead of returning grey-filled
   * pixels — what sharp's `failOn: 'warning'` does. Default true.
   */
  strict?: boolean;
}

export interface JpegDecoder {
  /** Decodes to interleaved RGB at eighths/8 scale; the pixels are a copy the caller owns. */
  decode(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedJpeg>;
  header(bytes: Uint8Array): Promise<JpegHeader>;
  /** Bytes of wasm memory the decoder holds now (wasm memory grows and never shrinks). */
  memoryBytes(): number;
}

/**
 * Identifies this decoder build: the committed wasm's sha256 (wasm/PROVENANCE.json). Anything
 * cached from decoded pixels (the trainer's feature cache) is keyed on it, so pixels from one
 * build are never reused after the decoder changes.
 */
export { JPEG_DECODER_ID } from '../wasm/ferry-jpeg-id.js';

/**
 * A decoder around one wasm instance. Calls are serialised by construction: everything between
 * copying the bytes in and copying the pixels out is synchronous (no await), so concurrent calls
 * cannot interleave. If the instance ever traps (e.g. memory cannot grow), it is replaced before
 * the next decode. Wasm memory never shrinks: the instance keeps the largest heap a decode needed
 * and reuses it (dropping a grown instance instead leaves its memory to a late GC, which in a
 * Workers isolate is worse; edge-api's admission bounds the heap).
 */
export async function createJpegDecoder(module: WebAssembly.Module): Promise<JpegDecoder> {
  let wasm = await instantiate(module);
  // A wasm built before M/8 scales took a denominator in the same place: refuse it loudly rather
  // than decode 1/8 as full size.
  if (typeof wasm._ferry_jpeg_decode_scaled !== 'function')
    throw new JpegDecodeError(
      'ferry-jpeg.wasm is from an older build (no M/8 scaling): rebuild it with `npm run build:wasm -w @ferry/codec-jpeg`',
    );
  let broken = false;

  // Replaces a trapped instance; the only await of a call, and it comes before the bytes go in.
  const ready = async (): Promise<void> => {
    if (!broken) return;
    wasm = await instantiate(module);
    broken = false;
  };
  // Anything but our own error came from the instance itself: it is replaced before the next call.
  const guarded = <T>(body: () => T): T => {
    try {
      return body();
    } catch (error) {
      if (error instanceof JpegDecodeError) throw error;
      broken = true;
      throw new JpegDecodeError(`JPEG decoder trapped: ${(error as Error).message ?? error}`);
    }
  };
  const info = (): Int32Array =>
    wasm.HEAP32.subarray(wasm._ferry_jpeg_info() >> 2, (wasm._ferry_jpeg_info() >> 2) + 6);
  const pixels = (pointer: number, eighths: ScaleEighths): DecodedJpeg => {
    if (pointer === 0) throw new JpegDecodeError(wasm.UTF8ToString(wasm._ferry_jpeg_message()));
    const values = info();
    const width = values[4]!;
    const height = values[5]!;
    const data = wasm.HEAPU8.slice(pointer, pointer + width * height * 3);
    return { width, height, channels: 3, data, eighths };
  };
  const checkScale = (eighths: number): ScaleEighths => {
    if (!Number.isInteger(eighths) || eighths < 1 || eighths > 8)
      throw new JpegDecodeError(`scale must be 1/8 to 8/8, got ${eighths}/8`);
    return eighths as ScaleEighths;
  };

  return {
    async header(bytes) {
      await ready();
      return guarded(() => {
        const size = loadInput(wasm, bytes);
        if (wasm._ferry_jpeg_header(size) !== 0)
          throw new JpegDecodeError(wasm.UTF8ToString(wasm._ferry_jpeg_message()));
        const [width, height, subsampling, colorspace] = info();
        return { width: width!, height: height!, subsampling: subsampling!, colorspace: colorspace! };
      });
    },
    async decode(bytes, options = {}) {
      const eighths = checkScale(options.eighths ?? 8);
      const strict = options.strict !== false;
      // At 1/8 few coefficients reach the output: a progressive JPEG's other scans are skipped
      // (progressive.ts), and the wasm stores only the coefficients its IDCTs read.
      const eighthScans = eighths === 1 ? scansForEighth(bytes) : undefined;
      await ready();
      // From here on nothing awaits: a second call cannot replace these bytes in the one input
      // buffer before libjpeg has read them (an await here once let concurrent decodes in a
      // worker read each other's bytes: "Premature end of JPEG file").
      return guarded(() =>
        pixels(
          wasm._ferry_jpeg_decode_scaled(loadInput(wasm, eighthScans ?? bytes), eighths, strict ? 1 : 0),
          eighths,
        ),
      );
    },
    memoryBytes: () => wasm.HEAPU8.byteLength,
  };
}
