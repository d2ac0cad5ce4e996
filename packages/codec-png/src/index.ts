/**
 * PNG scanlines one at a time: zlib 1.2.13's inflate and PNG's five row filters in WebAssembly
 * (native/ferry_png.c), so a 24-MP screenshot is read holding two scanlines and a slice of its
 * compressed data, never its frame. It replaced fflate's JavaScript inflate, which was most of a
 * screenshot's decode time in workerd (bench/REPORT.md section 4b has the decode times now).
 * What the rows become (palette, grey,
 * 16-bit, alpha; the box reduction) is the caller's: edge-api's decoders/png-rows.ts.
 *
 * The .wasm is committed (wasm/PROVENANCE.json says what built it), so every install has it.
 * Workers import it (`@ferry/codec-png/workers-module`), Node reads the file (`@ferry/codec-png/node`).
 */
import { type FerryPngModule, instantiate, PngDecodeError } from './instance.js';

export { PNG_DECODER_ID } from '../wasm/ferry-png-id.js';
export { PngDecodeError };

export interface PngScanlines {
  /** Bytes of one scanline without its filter byte: ceil(width * samples * bitDepth / 8). */
  rowBytes: number;
  /** Bytes per complete pixel, at least 1 (the distance PNG's filters look back). */
  pixelBytes: number;
  /** Scanlines to read. */
  rows: number;
}

export interface PngRowReader {
  /**
   * Inflates `data` (the IDAT chunks' contents in order) and hands each unfiltered scanline to
   * `onRow` in turn: a view into wasm memory, valid only during the call. Stops after `rows`
   * scanlines (anything after them is not read); throws PngDecodeError when the data is corrupt
   * or ends first. What `onRow` throws ends the read and is thrown as it is.
   */
  readRows(
    data: readonly Uint8Array[],
    shape: PngScanlines,
    onRow: (row: Uint8Array, y: number) => void,
  ): Promise<void>;
  /** Bytes of wasm memory the reader holds now (wasm memory grows and never shrinks). */
  memoryBytes(): number;
}

/** Compressed bytes handed to the wasm at a time. */
const SLICE = 64 * 1024;

/**
 * A reader around one wasm instance. Everything from the first byte in to the last row out is
 * synchronous (the only await comes first), so calls cannot interleave; an instance that traps
 * is replaced before the next call.
 */
export async function createPngRowReader(module: WebAssembly.Module): Promise<PngRowReader> {
  let wasm: FerryPngModule = await instantiate(module);
  let broken = false;

  const message = (): string => wasm.UTF8ToString(wasm._ferry_png_message());

  const read = (
    data: readonly Uint8Array[],
    { rowBytes, pixelBytes, rows }: PngScanlines,
    onRow: (row: Uint8Array, y: number) => void,
  ) => {
    if (wasm._ferry_png_start(rowBytes, Math.max(1, pixelBytes)) !== 0) throw new PngDecodeError(message());
    let y = 0;
    for (const part of data) {
      for (let at = 0; at < part.length && y < rows; at += SLICE) {
        const slice = part.subarray(at, at + SLICE);
        const input = wasm._ferry_png_input(slice.length);
        if (input === 0) throw new PngDecodeError('out of memory for the PNG data');
        wasm.HEAPU8.set(slice, input);
        wasm._ferry_png_feed(slice.length);
        while (y < rows) {
          const row = wasm._ferry_png_next_row();
          if (row === 0) break; // this slice is used up
          if (row < 0) throw new PngDecodeError(`PNG row ${y}: ${message()}`);
          onRow(wasm.HEAPU8.subarray(row, row + rowBytes), y++);
        }
      }
      if (y === rows) return;
    }
    throw new PngDecodeError(`PNG data ends after ${y} of ${rows} rows`);
  };

  return {
    async readRows(data, shape, onRow) {
      if (broken) {
        wasm = await instantiate(module);
        broken = false;
      }
      try {
        read(data, shape, onRow);
      } catch (error) {
        // A trap (memory that cannot grow, say) leaves the instance unusable.
        if (error instanceof WebAssembly.RuntimeError) {
          broken = true;
          throw new PngDecodeError(`PNG reader trapped: ${error.message}`);
        }
        throw error;
      } finally {
        if (!broken) wasm._ferry_png_end();
      }
    },
    memoryBytes: () => wasm.HEAPU8.byteLength,
  };
}
