/**
 * The wasm's scanlines against independent references: sharp's (libpng's) decoded pixels for
 * 8-bit RGB and RGBA, and, for every layout, Node's zlib inflating the same image written
 * without filters, so the five row filters are checked byte for byte whatever the bit depth.
 * Plus: errors say what is wrong and never poison the next read, and a 24-MP PNG is read holding
 * next to nothing.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadPngRowReader, PngDecodeError, type PngScanlines } from './node.js';

/** Smooth gradients plus noise, so every row filter wins somewhere. */
function photo(width: number, height: number, channels: 3 | 4, seed = 1): Sharp {
  const data = Buffer.alloc(width * height * channels);
  let state = seed;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        state = (state * 1103515245 + 12345) >>> 0;
        const i = (y * width + x) * channels + c;
        data[i] =
          c === 3 ? (x * 3 + y) & 255 : ((x * (c + 1) + y * (3 - c)) / 4 + ((state >>> 24) & 15)) & 255;
      }
  return sharp(data, { raw: { width, height, channels } });
}

/** The IDAT data of a PNG, and its layout from IHDR. */
function parse(png: Uint8Array): {
  data: Uint8Array[];
  shape: PngScanlines;
  depth: number;
  colorType: number;
} {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const data: Uint8Array[] = [];
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = 0;
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = png[at + 16]!;
      colorType = png[at + 17]!;
    } else if (type === 'IDAT') data.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const samples = colorType === 2 ? 3 : colorType === 4 ? 2 : colorType === 6 ? 4 : 1;
  return {
    data,
    depth,
    colorType,
    shape: {
      rowBytes: Math.ceil((width * samples * depth) / 8),
      pixelBytes: Math.max(1, (samples * depth) >> 3),
      rows: height,
    },
  };
}

async function readAll(png: Uint8Array): Promise<Uint8Array> {
  const reader = await loadPngRowReader();
  const { data, shape } = parse(png);
  const out = new Uint8Array(shape.rowBytes * shape.rows);
  await reader.readRows(data, shape, (row, y) => out.set(row, y * shape.rowBytes));
  return out;
}

/** Node's zlib on a PNG written without filters: its scanlines, filter bytes (all 0) dropped. */
function unfilteredReference(png: Uint8Array): { rows: Uint8Array; filters: Set<number> } {
  const { data, shape } = parse(png);
  const raw = inflateSync(Buffer.concat(data));
  const rows = new Uint8Array(shape.rowBytes * shape.rows);
  const filters = new Set<number>();
  for (let y = 0; y < shape.rows; y++) {
    const start = y * (shape.rowBytes + 1);
    filters.add(raw[start]!);
    rows.set(raw.subarray(start + 1, start + 1 + shape.rowBytes), y * shape.rowBytes);
  }
  return { rows, filters };
}

const filtersOf = (png: Uint8Array) => {
  const { data, shape } = parse(png);
  const raw = inflateSync(Buffer.concat(data));
  return new Set(Array.from({ length: shape.rows }, (_, y) => raw[y * (shape.rowBytes + 1)]!));
};

describe('ferry-png.wasm', () => {
  it("reads 8-bit RGB and RGBA scanlines to exactly sharp's pixels, every filter and level", async () => {
    for (const channels of [3, 4] as const)
      for (const compressionLevel of [0, 6, 9]) {
        const image = photo(333, 251, channels, channels + compressionLevel);
        const png = new Uint8Array(
          await image.clone().png({ compressionLevel, adaptiveFiltering: true }).toBuffer(),
        );
        const pixels = new Uint8Array(await sharp(png).raw().toBuffer());
        expect(
          Buffer.compare(Buffer.from(await readAll(png)), Buffer.from(pixels)),
          `${channels} ch, level ${compressionLevel}`,
        ).toBe(0);
      }
  });

  it('undoes each of the five filters, at 1 to 8 bytes per pixel', async () => {
    const reader = await loadPngRowReader();
    for (const pixelBytes of [1, 2, 3, 4, 6, 8]) {
      const rowBytes = 37 * pixelBytes;
      const rows = 25;
      const pixels = new Uint8Array(rowBytes * rows).map((_, i) => (i * 7 + ((i * i) >> 5)) & 255);
      // Row y uses filter y % 5 (PNG spec 9.2), each predicting from the unfiltered bytes.
      const filtered: number[] = [];
      for (let y = 0; y < rows; y++) {
        const filter = y % 5;
        filtered.push(filter);
        for (let i = 0; i < rowBytes; i++) {
          const x = pixels[y * rowBytes + i]!;
          const a = i >= pixelBytes ? pixels[y * rowBytes + i - pixelBytes]! : 0;
          const b = y > 0 ? pixels[(y - 1) * rowBytes + i]! : 0;
          const c = y > 0 && i >= pixelBytes ? pixels[(y - 1) * rowBytes + i - pixelBytes]! : 0;
          const p = a + b - c;
          const paeth =
            Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
              ? a
              : Math.abs(p - b) <= Math.abs(p - c)
                ? b
                : c;
          const predicted = [0, a, b, (a + b) >> 1, paeth][filter]!;
          filtered.push((x - predicted) & 255);
        }
      }
      const out = new Uint8Array(rowBytes * rows);
      await reader.readRows([deflateSync(Buffer.from(filtered))], { rowBytes, pixelBytes, rows }, (row, y) =>
        out.set(row, y * rowBytes),
      );
      expect(Buffer.compare(Buffer.from(out), Buffer.from(pixels)), `${pixelBytes} bytes per pixel`).toBe(0);
    }
  });

  it('unfilters every layout (grey, grey+alpha, 16-bit) to the bytes of the unfiltered file', async () => {
    const layouts: [string, (s: Sharp) => Sharp][] = [
      ['grey 8-bit', (s) => s.grayscale()],
      ['grey + alpha 8-bit', (s) => s.grayscale().ensureAlpha(0.5)],
      ['RGB 16-bit', (s) => s.toColourspace('rgb16')],
      ['RGBA 16-bit', (s) => s.ensureAlpha(0.5).toColourspace('rgb16')],
    ];
    for (const [name, layout] of layouts) {
      const image = layout(photo(211, 97, 3, 7));
      const filtered = new Uint8Array(await image.clone().png({ adaptiveFiltering: true }).toBuffer());
      const plain = new Uint8Array(await image.clone().png({ adaptiveFiltering: false }).toBuffer());
      const reference = unfilteredReference(plain);
      expect([...reference.filters], `${name}: reference has no filters`).toEqual([0]);
      expect(filtersOf(filtered).size, `${name}: filtered file uses several filters`).toBeGreaterThan(1);
      expect(Buffer.compare(Buffer.from(await readAll(filtered)), Buffer.from(reference.rows)), name).toBe(0);
    }
  });

  it('says what is wrong with bad data, and the next read still works', async () => {
    const reader = await loadPngRowReader();
    const png = new Uint8Array(await photo(120, 80, 3).png().toBuffer());
    const { data, shape } = parse(png);
    const all = Buffer.concat(data);
    const rows = (parts: Uint8Array[], rowShape = shape) => reader.readRows(parts, rowShape, () => {});
    await expect(rows([all.subarray(0, all.length >> 1)])).rejects.toThrow(
      /^PNG data ends after \d+ of 80 rows$/,
    );
    const corrupt = Buffer.from(all);
    corrupt.fill(0xff, 40, 90);
    await expect(rows([corrupt])).rejects.toThrow(PngDecodeError);
    const bad = deflateSync(Buffer.from([7, 1, 2, 3]));
    await expect(rows([bad], { rowBytes: 3, pixelBytes: 3, rows: 1 })).rejects.toThrow(
      'PNG row 0: unknown PNG filter type 7',
    );
    // What the row callback throws is the caller's own error, as it is.
    await expect(
      reader.readRows([all], shape, () => {
        throw new RangeError('palette index out of range');
      }),
    ).rejects.toThrow(RangeError);
    expect(
      Buffer.compare(Buffer.from(await readAll(png)), Buffer.from(await sharp(png).raw().toBuffer())),
    ).toBe(0);
  });

  it('reads a 6000x4000 PNG holding two scanlines and a slice of its data, never the frame', async () => {
    const reader = await loadPngRowReader();
    const png = new Uint8Array(await photo(6000, 4000, 3).png({ compressionLevel: 1 }).toBuffer());
    const { data, shape } = parse(png);
    let rows = 0;
    await reader.readRows(data, shape, () => rows++);
    expect(rows).toBe(4000);
    // 72 MB of pixels went through; the wasm holds its initial 1 MB and at most a little more.
    expect(reader.memoryBytes()).toBeLessThan(2 * 2 ** 20);
  });
});
