/**
 * The wasm decoder against independent builds of the same libjpeg-turbo: sharp (libvips) at
 * full size, Pillow's `draft()` (Debian's libjpeg-turbo 2.1.5, python3-pil) at 1/2, 1/4 and
 * 1/8, and Debian's djpeg at every M/8 — the pixels must be identical, so "decode at reduced scale" means the same thing here as
 * in the Python world. Plus: errors never poison the next decode, concurrent calls never read
 * each other's bytes, and a 12-MP photo decoded at 1/8 never grows wasm memory to a full frame.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { JpegDecodeError, type JpegDecoder, loadJpegDecoder } from './node.js';
import { djpeg, hasDjpeg } from './test-support/djpeg.js';
import { cjpeg, photo, sharedJpegs } from './test-support/photos.js';

const PYTHON = '/usr/bin/python3';
const hasPillow = spawnSync(PYTHON, ['-c', 'import PIL'], { stdio: 'ignore' }).status === 0;
function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('ferry-jpeg.wasm', () => {
  let decoder: JpegDecoder;
  beforeAll(async () => {
    decoder = await loadJpegDecoder();
  });

  it('decodes at full size to exactly the pixels sharp gives (4:2:0, 4:4:4, progressive, grey)', async () => {
    const variants = {
      '4:2:0': photo(203, 117).jpeg({ quality: 90 }),
      '4:4:4': photo(203, 117, 2).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }),
      progressive: photo(203, 117, 3).jpeg({ quality: 85, progressive: true }),
      grey: photo(203, 117, 4).grayscale().jpeg({ quality: 90 }),
    };
    for (const [name, image] of Object.entries(variants)) {
      const bytes = new Uint8Array(await image.toBuffer());
      const ours = await decoder.decode(bytes);
      const ref = await sharp(bytes)
        .toColourspace('srgb')
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([ours.width, ours.height], name).toEqual([ref.info.width, ref.info.height]);
      expect(maxDiff(ours.data, ref.data), name).toBe(0);
    }
  });

  if (!hasPillow)
    console.warn('SKIPPING the Pillow draft() comparison: /usr/bin/python3 has no PIL (apt: python3-pil)');
  it.skipIf(!hasPillow && process.env.FERRY_REQUIRE_REAL_DATA !== '1')(
    "decodes at 1/2, 1/4, 1/8 to exactly Pillow's draft() pixels",
    async () => {
      if (!hasPillow && process.env.FERRY_REQUIRE_REAL_DATA === '1')
        throw new Error('python3-pil is required');
      const dir = mkdtempSync(join(tmpdir(), 'ferry-jpeg-'));
      const files = {
        '4:2:0': await photo(1021, 766).jpeg({ quality: 90 }).toBuffer(),
        '4:4:4': await photo(1021, 766, 5).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer(),
      };
      for (const [name, bytes] of Object.entries(files)) {
        const path = join(dir, `${name.replace(':', '').replace(':', '')}.jpg`);
        writeFileSync(path, bytes);
        for (const denominator of [2, 4, 8] as const) {
          const ours = await decoder.decode(new Uint8Array(bytes), {
            eighths: (8 / denominator) as 1 | 2 | 4,
          });
          expect([ours.width, ours.height]).toEqual([
            Math.ceil(1021 / denominator),
            Math.ceil(766 / denominator),
          ]);
          const script = `import sys
from PIL import Image
im = Image.open(sys.argv[1]); w, h = im.size; d = int(sys.argv[2])
im.draft('RGB', (w // d, h // d))  # draft picks scale = min(w // size_w, h // size_h)
sys.stdout.buffer.write(im.convert('RGB').tobytes())`;
          const pillow = execFileSync(PYTHON, ['-c', script, path, String(denominator)], {
            maxBuffer: 2 ** 26,
          });
          expect(maxDiff(ours.data, new Uint8Array(pillow)), `${name} 1/${denominator}`).toBe(0);
        }
      }
    },
  );

  it.skipIf(!hasPillow && process.env.FERRY_REQUIRE_REAL_DATA !== '1')(
    "decodes CMYK JPEGs (Adobe, inverted) to RGB at every scale exactly as Pillow's convert('RGB')",
    async () => {
      if (!hasPillow) throw new Error('python3-pil is required');
      const dir = mkdtempSync(join(tmpdir(), 'ferry-jpeg-cmyk-'));
      const path = join(dir, 'cmyk.jpg');
      const bytes = await photo(803, 601, 7).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer();
      writeFileSync(path, bytes);
      expect((await decoder.header(new Uint8Array(bytes))).colorspace).toBe(3); // TJCS_CMYK, as libvips writes it
      for (const denominator of [1, 2, 4, 8] as const) {
        const ours = await decoder.decode(new Uint8Array(bytes), {
          eighths: (8 / denominator) as 1 | 2 | 4 | 8,
        });
        expect([ours.width, ours.height]).toEqual([
          Math.ceil(803 / denominator),
          Math.ceil(601 / denominator),
        ]);
        const script = `import sys
from PIL import Image
im = Image.open(sys.argv[1]); w, h = im.size; d = int(sys.argv[2])
assert im.mode == 'CMYK'
if d > 1: im.draft('CMYK', (w // d, h // d))
sys.stdout.buffer.write(im.convert('RGB').tobytes())`;
        const pillow = execFileSync(PYTHON, ['-c', script, path, String(denominator)], {
          maxBuffer: 2 ** 26,
        });
        expect(maxDiff(ours.data, new Uint8Array(pillow)), `CMYK 1/${denominator}`).toBe(0);
      }
    },
  );

  // patches/libjpeg-turbo-2.1.5-wasm-fast-huffman.patch parses the entropy-coded data with wider
  // tables (and skips the AC symbols of blocks whose DC alone is kept, e.g. luma at 1/8): held
  // here to Pillow's native libjpeg-turbo on what stresses it — high quality (long codes, the
  // tables' fallbacks), low quality (end of block early), standard and optimised Huffman
  // tables, 4:4:4, grey (one-component scans), progressive, a 12-MP photo at 1/8 — and on the
  // shared real photos (FERRY_IMAGES_DIR) and a mate-backgrounds photo when installed.
  it.skipIf(!hasPillow && process.env.FERRY_REQUIRE_REAL_DATA !== '1')(
    "decodes photos of every kind at 1/1, 1/2, 1/4, 1/8 to exactly Pillow's pixels",
    async () => {
      if (!hasPillow) throw new Error('python3-pil is required');
      const dir = mkdtempSync(join(tmpdir(), 'ferry-jpeg-kinds-'));
      const jobs: { name: string; path: string; bytes: Uint8Array; denominator: number }[] = [];
      const add = (name: string, bytes: Uint8Array, denominators: readonly number[] = [1, 2, 4, 8]) => {
        const path = join(dir, `${jobs.length}.jpg`);
        writeFileSync(path, bytes);
        for (const denominator of denominators) jobs.push({ name, path, bytes, denominator });
      };
      const texture = photo(733, 517, 9);
      const made = {
        'q100 4:2:0': texture.clone().jpeg({ quality: 100 }),
        'q100 4:4:4 standard tables': texture
          .clone()
          .jpeg({ quality: 100, chromaSubsampling: '4:4:4', optimiseCoding: false }),
        'q75 standard tables': texture.clone().jpeg({ quality: 75, optimiseCoding: false }),
        q30: texture.clone().jpeg({ quality: 30 }),
        'q95 grey': texture.clone().grayscale().jpeg({ quality: 95 }),
        'q90 progressive': texture.clone().jpeg({ quality: 90, progressive: true }),
      };
      for (const [name, image] of Object.entries(made)) add(name, new Uint8Array(await image.toBuffer()));
      add('4032x3024 q90', new Uint8Array(await photo(4032, 3024, 11).jpeg({ quality: 90 }).toBuffer()), [8]);

      for (const [file, bytes] of sharedJpegs('the Pillow comparison')) add(file, bytes);
      const mate = '/usr/share/backgrounds/mate/abstract/Elephants_3840x2160.jpg';
      if (existsSync(mate)) add('mate-backgrounds 3840x2160', new Uint8Array(readFileSync(mate)), [8, 1]);

      // One Python for every job: [4-byte length][RGB bytes] per job, in order.
      const script = `import sys, struct
from PIL import Image
for arg in sys.argv[1:]:
    path, d = arg.rsplit(':', 1); d = int(d)
    im = Image.open(path); w, h = im.size
    if d > 1: im.draft('RGB', (w // d, h // d))
    data = im.convert('RGB').tobytes()
    sys.stdout.buffer.write(struct.pack('<I', len(data)) + data)`;
      const out = execFileSync(PYTHON, ['-c', script, ...jobs.map((j) => `${j.path}:${j.denominator}`)], {
        maxBuffer: 2 ** 28,
      });
      let offset = 0;
      for (const job of jobs) {
        const length = out.readUInt32LE(offset);
        const pillow = new Uint8Array(out.buffer, out.byteOffset + offset + 4, length);
        offset += 4 + length;
        const ours = await decoder.decode(job.bytes, { eighths: (8 / job.denominator) as 1 | 2 | 4 | 8 });
        expect(maxDiff(ours.data, pillow), `${job.name} at 1/${job.denominator}`).toBe(0);
      }
      expect(offset).toBe(out.length);
    },
    120_000,
  );

  // The other scales of a current decode rule (3/8, 5/8, 6/8, 7/8: core's decode-scale.ts) have
  // no Pillow API (draft() only halves), so the reference is libjpeg-turbo's own djpeg -scale M/8
  // (Debian's libjpeg-turbo-progs, the same 2.1.5): every M on every kind of JPEG, real photos too.
  if (!hasDjpeg)
    console.warn('SKIPPING the djpeg -scale M/8 comparison: no djpeg (apt: libjpeg-turbo-progs)');
  it.skipIf(!hasDjpeg && process.env.FERRY_REQUIRE_REAL_DATA !== '1')(
    'decodes at every M/8 scale to exactly the pixels of djpeg -scale M/8',
    async () => {
      if (!hasDjpeg) throw new Error('djpeg is required (apt: libjpeg-turbo-progs)');
      const texture = photo(733, 517, 13);
      const made: Record<string, Uint8Array> = {
        '4:2:0': new Uint8Array(await texture.clone().jpeg({ quality: 90 }).toBuffer()),
        '4:4:4': new Uint8Array(
          await texture.clone().jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer(),
        ),
        grey: new Uint8Array(await texture.clone().grayscale().jpeg({ quality: 90 }).toBuffer()),
        progressive: new Uint8Array(
          await texture.clone().jpeg({ quality: 85, progressive: true }).toBuffer(),
        ),
      };
      // Restart markers (camera JPEGs carry them; the patch's fast path now runs between them),
      // from cjpeg, of the same libjpeg-turbo-progs: every MCU, every 7, every MCU row.
      for (const interval of ['1B', '7B', '1'])
        made[`restart ${interval}`] = await cjpeg(texture.clone(), ['-quality', '90', '-restart', interval]);
      for (const [file, bytes] of sharedJpegs('the djpeg comparison')) made[file] = bytes;
      // Lenient decoding of a restart-marker file cut short: libjpeg's own best effort, as djpeg.
      const cut = made['restart 7B']!.slice(0, Math.floor(made['restart 7B']!.length * 0.7));
      for (const [name, bytes, strict] of [
        ...Object.entries(made).map(([name, bytes]) => [name, bytes, true] as const),
        ['restart 7B cut at 70 %, lenient', cut, false] as const,
      ]) {
        for (const eighths of [1, 2, 3, 4, 5, 6, 7, 8] as const) {
          const ours = await decoder.decode(bytes, { eighths, strict });
          // djpeg exits 2 after a warning (the cut file), with the image written all the same.
          const ref = djpeg(bytes, eighths);
          expect([ours.width, ours.height], `${name} at ${eighths}/8`).toEqual([ref.width, ref.height]);
          expect(maxDiff(ours.data, ref.rgb), `${name} at ${eighths}/8`).toBe(0);
        }
      }
    },
    120_000,
  );

  it('refuses truncated and corrupt data, and the next decode is unaffected', async () => {
    const good = new Uint8Array(await photo(160, 120).jpeg().toBuffer());
    const expected = await decoder.decode(good);
    await expect(decoder.decode(good.subarray(0, 200))).rejects.toThrow(JpegDecodeError);
    await expect(decoder.decode(good.subarray(0, Math.floor(good.length * 0.6)))).rejects.toThrow(
      /premature end/i,
    );
    const corrupt = good.slice();
    corrupt.set([0xff, 0x6c], Math.floor(good.length / 2));
    await expect(decoder.decode(corrupt, { eighths: 4 })).rejects.toThrow(/corrupt JPEG data/i);
    // Lenient mode (the trainer's, like sharp's failOn 'error') keeps libjpeg's best effort.
    expect((await decoder.decode(corrupt, { strict: false })).width).toBe(160);
    await expect(decoder.decode(new Uint8Array([1, 2, 3]))).rejects.toThrow(JpegDecodeError);
    // A scale outside 1/8..8/8 is refused before any byte reaches the wasm.
    for (const eighths of [0, 9, 2.5])
      await expect(decoder.decode(good, { eighths: eighths as 1 })).rejects.toThrow(
        /scale must be 1\/8 to 8\/8/,
      );
    expect(maxDiff((await decoder.decode(good)).data, expected.data)).toBe(0);
  });

  it('concurrent calls each decode their own bytes (one instance, one input buffer)', async () => {
    // Different sizes, so a call that read another call's bytes would fail or differ.
    const files = await Promise.all(
      [
        [320, 240, 1],
        [200, 300, 2],
        [96, 64, 3],
        [640, 480, 4],
      ].map(async ([w, h, seed]) => new Uint8Array(await photo(w!, h!, seed).jpeg().toBuffer())),
    );
    const one: Awaited<ReturnType<JpegDecoder['decode']>>[] = [];
    for (const f of files) one.push(await decoder.decode(f, { strict: true }));
    const together = await Promise.all([
      ...files.map((f) => decoder.decode(f, { strict: true })),
      ...files.map((f) => decoder.header(f)),
    ]);
    files.forEach((_, i) => {
      const d = together[i] as Awaited<ReturnType<JpegDecoder['decode']>>;
      expect([d.width, d.height]).toEqual([one[i]!.width, one[i]!.height]);
      expect(maxDiff(d.data, one[i]!.data)).toBe(0);
      expect((together[files.length + i] as { width: number }).width).toBe(one[i]!.width);
    });
  });

  it('decodes a 4032x3024 photo at 1/8 without ever holding a full-size frame', async () => {
    const bytes = new Uint8Array(await photo(4032, 3024).jpeg({ quality: 90 }).toBuffer());
    const fresh = (await import('./index.js')).createJpegDecoder;
    const { readFile } = await import('node:fs/promises');
    const module = await WebAssembly.compile(
      await readFile(new URL('../wasm/ferry-jpeg.wasm', import.meta.url)),
    );
    const own = await fresh(module);
    const small = await own.decode(bytes, { eighths: 1 });
    expect([small.width, small.height]).toEqual([504, 378]);
    // The JPEG bytes plus libjpeg's row buffers and the 0.6 MB output: far below the 36 MB frame.
    expect(own.memoryBytes()).toBeLessThan(bytes.byteLength + 8 * 2 ** 20);
    expect((await own.header(bytes)).width).toBe(4032);
  });

  it('decodes a 4032x3024 progressive photo at 1/8 holding only the coefficients its IDCTs read', async () => {
    // Every scan kept (the instance, not scansForEighth), so luma's AC refinements run through the
    // compact store too. All 64 coefficients of every block would be 37 MB; the compact store is
    // 2 bytes per luma block plus 58 per chroma block (patches/*compact-coefficients.patch): 7 MB.
    const bytes = new Uint8Array(await photo(4032, 3024).jpeg({ quality: 90, progressive: true }).toBuffer());
    const { instantiate, loadInput } = await import('./instance.js');
    const { readFile } = await import('node:fs/promises');
    const wasm = await instantiate(
      await WebAssembly.compile(await readFile(new URL('../wasm/ferry-jpeg.wasm', import.meta.url))),
    );
    expect(wasm._ferry_jpeg_decode_scaled(loadInput(wasm, bytes), 1, 1)).not.toBe(0);
    expect(wasm.HEAPU8.byteLength).toBeLessThan(bytes.byteLength + 12 * 2 ** 20);
  });
});
