import { createPngRowReader, type PngRowReader } from '@ferry/codec-png';
import { createBoxReducer, type Image } from '@ferry/core';

let reader: Promise<PngRowReader> | undefined;

/**
 * Hands the PNG row reader its wasm as an already compiled module: Workers import the .wasm as a
 * CompiledWasm module (workerd cannot compile wasm from bytes); Node compiles the file itself.
 */
export function initPng(module: WebAssembly.Module): void {
  reader = createPngRowReader(module);
}

/**
 * A non-interlaced PNG decoded row by row into core's box reducer: @ferry/codec-png's wasm
 * inflates the compressed data (zlib) and unfilters one scanline at a time; each is turned into
 * 8-bit RGB/RGBA exactly as `decodePng` does (palette expanded with tRNS alpha, grey replicated,
 * 16-bit as v >> 8, sub-byte depths widened), then added to the reduced frame. What is held is
 * two scanlines and the reduced frame, never the full one: a 24-MP screenshot costs a few hundred
 * KB. Interlaced PNGs (Adam7) cannot be read this way: `decodePng` decodes them whole.
 */
export async function decodePngReduced(bytes: Uint8Array, factor: number): Promise<Image> {
  if (!reader) throw new Error('PNG row reader is not initialised (call initPng with its wasm module)');
  const png = readChunks(bytes);
  const { width, height, depth, colorType } = png;
  const samples = colorType === 2 ? 3 : colorType === 4 ? 2 : colorType === 6 ? 4 : 1;
  const stride = Math.ceil((width * samples * depth) / 8);
  const bpp = Math.max(1, (samples * depth) >> 3);
  const outChannels: 3 | 4 =
    colorType === 4 || colorType === 6 || (colorType === 3 && png.transparency) ? 4 : 3;
  // 8-bit RGB and RGBA rows are already what the reducer takes: no conversion, no copy.
  const toRow =
    depth === 8 && (colorType === 2 || colorType === 6) ? undefined : rowConverter(png, width, outChannels);
  const reducer = createBoxReducer(width, height, outChannels, factor);

  const rgb = new Uint8Array(toRow ? width * outChannels : 0);
  await (await reader).readRows(png.data, { rowBytes: stride, pixelBytes: bpp, rows: height }, (row) => {
    if (toRow) {
      toRow(row, rgb);
      reducer.push(rgb);
    } else reducer.push(row);
  });
  return reducer.finish();
}

interface PngChunks {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
  palette?: Uint8Array;
  transparency?: Uint8Array;
  /** The IDAT chunks' data, in order (views into the file). */
  data: Uint8Array[];
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The chunks the rows need, each CRC-checked as fast-png's `checkCrc` does. */
function readChunks(bytes: Uint8Array): PngChunks {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let header: Omit<PngChunks, 'data'> | undefined;
  const data: Uint8Array[] = [];
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw new Error(`PNG chunk ${type} runs past the end of the file`);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length))
      throw new Error(`PNG chunk ${type}: CRC mismatch`);
    if (type === 'IHDR') {
      header = {
        width: view.getUint32(at + 8),
        height: view.getUint32(at + 12),
        depth: body[8]!,
        colorType: body[9]!,
        interlaced: body[12] === 1,
      };
    } else if (type === 'PLTE' && header) header.palette = body;
    else if (type === 'tRNS' && header) header.transparency = body;
    else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header) throw new Error('PNG has no IHDR chunk');
  if (data.length === 0) throw new Error('PNG has no image data');
  if (header.colorType === 3 && !header.palette) throw new Error('indexed PNG without a palette');
  return { ...header, data };
}

/** One unfiltered scanline to 8-bit RGB or RGBA, as `decodePng` converts whole frames. */
function rowConverter(
  png: PngChunks,
  width: number,
  outChannels: 3 | 4,
): (row: Uint8Array, out: Uint8Array) => void {
  const { depth, colorType, palette, transparency } = png;
  // The sample at index i of a row, widened to 8 bits (16-bit: the high byte, as libvips does).
  const sample =
    depth === 8
      ? (row: Uint8Array, i: number) => row[i]!
      : depth === 16
        ? (row: Uint8Array, i: number) => row[2 * i]!
        : (row: Uint8Array, i: number) => {
            const perByte = 8 / depth;
            const shift = 8 - depth * ((i % perByte) + 1);
            return (row[Math.floor(i / perByte)]! >> shift) & ((1 << depth) - 1);
          };
  if (colorType === 3) {
    const entries = palette!.length / 3;
    return (row, out) => {
      for (let x = 0; x < width; x++) {
        const index = sample(row, x);
        const o = x * outChannels;
        if (index >= entries) throw new Error(`PNG palette index ${index} out of range`);
        out[o] = palette![3 * index]!;
        out[o + 1] = palette![3 * index + 1]!;
        out[o + 2] = palette![3 * index + 2]!;
        if (outChannels === 4) out[o + 3] = index < transparency!.length ? transparency![index]! : 255;
      }
    };
  }
  const max = 2 ** depth - 1;
  const to8 = depth < 8 ? (v: number) => (v * 255) / max : (v: number) => v;
  const samples = colorType === 2 ? 3 : colorType === 4 ? 2 : colorType === 6 ? 4 : 1;
  return (row, out) => {
    for (let x = 0; x < width; x++) {
      const i = x * samples;
      const o = x * outChannels;
      if (samples <= 2) {
        const g = to8(sample(row, i));
        out[o] = g;
        out[o + 1] = g;
        out[o + 2] = g;
        if (outChannels === 4) out[o + 3] = sample(row, i + 1);
      } else {
        out[o] = sample(row, i);
        out[o + 1] = sample(row, i + 1);
        out[o + 2] = sample(row, i + 2);
        if (outChannels === 4) out[o + 3] = sample(row, i + 3);
      }
    }
  };
}
