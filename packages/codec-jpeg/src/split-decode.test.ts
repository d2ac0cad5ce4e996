/**
 * Two-thread decoding (split.ts, native/ferry_jpeg_split.c) against the one-thread decoder: the
 * pixels must be identical at every scale and at every split point, and the split must really
 * happen (the second half's coefficients used) on ordinary baseline JPEGs — a split that always
 * fell back would pass an identity test and help nobody. Restart-marker JPEGs (camera photos) are
 * cut exactly at an RST marker. What it cannot prove exact (progressive JPEGs, corrupt or
 * truncated data) must give the one-thread answer: the same pixels, or the same error.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FerryJpegModule, instantiate, loadInput } from './instance.js';
import {
  createJpegDecoder,
  type DecodedJpeg,
  type JpegDecoder,
  loadJpegDecoder,
  loadSplitJpegDecoder,
  type ScaleEighths,
} from './node.js';
import { inThreadSplitHelper, nextPermille, speculateHalf, splitDecode, splitStats } from './split.js';
import { cjpeg, photo, sharedJpegs } from './test-support/photos.js';

const hasCjpeg = spawnSync('sh', ['-c', 'command -v cjpeg'], { stdio: 'ignore' }).status === 0;
const requireAll = process.env.FERRY_REQUIRE_REAL_DATA === '1';

async function jpeg(
  width: number,
  height: number,
  seed: number,
  options: Parameters<ReturnType<typeof photo>['jpeg']>[0],
) {
  return new Uint8Array(await photo(width, height, seed).jpeg(options).toBuffer());
}

/** What the one-thread decoder answers: pixels, or the error message. */
async function answer(decoder: JpegDecoder, bytes: Uint8Array, eighths: ScaleEighths, strict = true) {
  try {
    return await decoder.decode(bytes, { eighths, strict });
  } catch (error) {
    return (error as Error).message;
  }
}

function same(a: DecodedJpeg | string, b: DecodedJpeg | string): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return (
    a.width === b.width &&
    a.height === b.height &&
    Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0
  );
}

describe('split decode: two instances, one answer', () => {
  let module: WebAssembly.Module;
  let main: FerryJpegModule;
  let helper: FerryJpegModule;
  let oneThread: JpegDecoder;
  beforeAll(async () => {
    module = await WebAssembly.compile(readFileSync(new URL('../wasm/ferry-jpeg.wasm', import.meta.url)));
    main = await instantiate(module);
    helper = await instantiate(module);
    oneThread = await loadJpegDecoder();
  });

  /** The split on the calling thread, with its stats: [used the helper's half, ...]. */
  async function split(bytes: Uint8Array, eighths: ScaleEighths, permille: number) {
    const half = Promise.resolve(speculateHalf(helper, bytes, eighths, permille));
    const size = loadInput(main, bytes);
    const { pointer } = await splitDecode(main, size, eighths, permille, half);
    if (pointer === 0) return { pixels: undefined, stats: splitStats(main) };
    const info = main.HEAP32.subarray(main._ferry_jpeg_info() >> 2);
    const width = info[4]!;
    const height = info[5]!;
    return {
      pixels: {
        width,
        height,
        channels: 3 as const,
        data: main.HEAPU8.slice(pointer, pointer + width * height * 3),
        eighths,
      },
      stats: splitStats(main),
    };
  }

  it('gives the one-thread pixels at every scale, for 4:2:0, 4:2:2, 4:4:4 and grey, using the helper half', async () => {
    const variants: [string, Uint8Array][] = [
      ['4:2:0 q90', await jpeg(1003, 757, 1, { quality: 90 })],
      ['4:2:0 q50', await jpeg(960, 720, 2, { quality: 50 })],
      ['4:4:4 q95', await jpeg(777, 555, 4, { quality: 95, chromaSubsampling: '4:4:4' })],
      ['grey q90', new Uint8Array(await photo(901, 677, 5).grayscale().jpeg({ quality: 90 }).toBuffer())],
    ];
    if (hasCjpeg)
      variants.push([
        '4:2:2 q85 (cjpeg)',
        await cjpeg(photo(811, 600, 3), ['-quality', '85', '-sample', '2x1']),
      ]);
    for (const [name, bytes] of variants) {
      for (const eighths of [1, 2, 3, 4, 5, 6, 7, 8] as ScaleEighths[]) {
        const expected = await answer(oneThread, bytes, eighths);
        const { pixels, stats } = await split(bytes, eighths, 450);
        expect(pixels, `${name} at ${eighths}/8`).toBeDefined();
        expect(same(pixels!, expected), `${name} at ${eighths}/8`).toBe(true);
        expect(stats[0], `${name} at ${eighths}/8 used the helper's half`).toBe(1);
      }
    }
  });

  it('gives the one-thread pixels wherever the data is cut (60 split points)', async () => {
    const bytes = await jpeg(1201, 803, 7, { quality: 88 });
    const expected = await answer(oneThread, bytes, 1);
    let used = 0;
    for (let permille = 10; permille < 1000; permille += 16.5) {
      const at = Math.round(permille);
      const { pixels, stats } = await split(bytes, 1, at);
      expect(pixels, `cut at ${at}/1000`).toBeDefined();
      expect(same(pixels!, expected), `cut at ${at}/1000`).toBe(true);
      used += stats[0]!;
    }
    // Resynchronising can take past the end for a cut close to it; nearly every cut must help.
    expect(used).toBeGreaterThanOrEqual(55);
  });

  it('splits restart-marker JPEGs (camera photos) exactly at an RST marker, at every scale and cut', async () => {
    const cases: [string, Uint8Array][] = [];
    if (hasCjpeg) {
      cases.push([
        'restart every MCU row (cjpeg -restart 1)',
        await cjpeg(photo(1003, 757, 9), ['-quality', '90', '-restart', '1']),
      ]);
      cases.push([
        'restart every 5 MCUs (cjpeg -restart 5B)',
        await cjpeg(photo(901, 677, 10), ['-quality', '80', '-restart', '5B']),
      ]);
      cases.push([
        'grey, restart every 3 MCUs',
        await cjpeg(photo(640, 480, 11), ['-quality', '90', '-grayscale', '-restart', '3B']),
      ]);
    } else if (requireAll) {
      throw new Error('cjpeg (libjpeg-turbo-progs) is missing: the restart-marker cases need it');
    } else {
      console.warn(
        '\n!!! SKIP the made restart-marker cases: no cjpeg (apt-get install libjpeg-turbo-progs)\n',
      );
    }
    // Camera JPEGs carry restart markers (six of the seven shared photos do).
    for (const [file, bytes] of sharedJpegs('the restart-marker split'))
      if (bytes.some((byte, i) => byte === 0xff && bytes[i + 1] === 0xdd)) cases.push([file, bytes]);
    for (const [name, bytes] of cases) {
      for (const eighths of [1, 3, 8] as ScaleEighths[]) {
        const expected = await answer(oneThread, bytes, eighths);
        for (const permille of [100, 450, 800]) {
          const { pixels, stats } = await split(bytes, eighths, permille);
          expect(pixels, `${name} at ${eighths}/8, cut ${permille}`).toBeDefined();
          expect(same(pixels!, expected), `${name} at ${eighths}/8, cut ${permille}`).toBe(true);
          expect(stats[0], `${name} at ${eighths}/8, cut ${permille} used the helper's half`).toBe(1);
        }
      }
    }
  });

  it('declines progressive JPEGs and misnumbered restart markers, and the decoder gives the one-thread answer', async () => {
    const cases: [string, Uint8Array][] = [
      ['progressive', await jpeg(900, 700, 8, { quality: 90, progressive: true })],
    ];
    if (hasCjpeg) {
      const bytes = await cjpeg(photo(900, 700, 12), ['-quality', '90', '-restart', '1']);
      const sos = bytes.findIndex((byte, i) => byte === 0xff && bytes[i + 1] === 0xda);
      // The third RST marker renumbered: libjpeg warns and resynchronises; the split must not guess.
      let seen = 0;
      for (let i = sos; i < bytes.length - 1; i++)
        if (bytes[i] === 0xff && bytes[i + 1]! >= 0xd0 && bytes[i + 1]! <= 0xd7 && ++seen === 3) {
          bytes[i + 1] = 0xd0 + ((bytes[i + 1]! - 0xd0 + 4) & 7);
          break;
        }
      cases.push(['a misnumbered RST marker', bytes]);
    }
    const decoder = await createJpegDecoder(module, { helper: inThreadSplitHelper(helper), minBytes: 0 });
    for (const [name, bytes] of cases) {
      for (const strict of [true, false])
        for (const eighths of [1, 4, 8] as ScaleEighths[])
          expect(
            same(
              await answer(decoder, bytes, eighths, strict),
              await answer(oneThread, bytes, eighths, strict),
            ),
            `${name} at ${eighths}/8, strict ${strict}`,
          ).toBe(true);
      expect(main._ferry_jpeg_split_begin(loadInput(main, bytes), 1, 100), name).toBe(-1);
    }
  });

  it('answers corrupt and truncated JPEGs exactly as the one-thread decoder does (error or pixels)', async () => {
    const good = await jpeg(1000, 750, 10, { quality: 90 });
    const sos = good.findIndex((byte, i) => byte === 0xff && good[i + 1] === 0xda);
    const body = good.length - sos;
    const broken: [string, Uint8Array][] = [];
    for (const keep of [0.3, 0.6, 0.95])
      broken.push([`truncated to ${keep}`, good.slice(0, sos + Math.floor(body * keep))]);
    for (const at of [0.2, 0.5, 0.8]) {
      const bytes = good.slice();
      const i = sos + Math.floor(body * at);
      bytes.fill(0x5a, i, i + 40); // garbage in the middle of the entropy-coded data
      broken.push([`garbage at ${at}`, bytes]);
    }
    const junk = good.slice(0, good.length - 2);
    broken.push(['junk before EOI', new Uint8Array([...junk, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xff, 0xd9])]);
    broken.push(['no EOI', good.slice(0, good.length - 2)]);
    const decoder = await createJpegDecoder(module, { helper: inThreadSplitHelper(helper), minBytes: 0 });
    for (const [name, bytes] of broken) {
      for (const strict of [true, false]) {
        const expected = await answer(oneThread, bytes, 1, strict);
        const got = await answer(decoder, bytes, 1, strict);
        expect(
          same(got, expected),
          `${name}, strict ${strict}: ${typeof expected === 'string' ? expected : 'pixels'}`,
        ).toBe(true);
      }
    }
    // And the decoder is fine afterwards.
    expect(same(await answer(decoder, good, 1), await answer(oneThread, good, 1))).toBe(true);
  });
});

describe('loadSplitJpegDecoder: the worker thread', () => {
  it('decodes a 12-MP photo and the shared real photos to the one-thread pixels, also when called concurrently', async () => {
    const oneThread = await loadJpegDecoder();
    const split = await loadSplitJpegDecoder();
    const inputs: [string, Uint8Array, ScaleEighths][] = [
      ['4032x3024 q90', await jpeg(4032, 3024, 11, { quality: 90 }), 1],
      ['2000x1500 q80 at 3/8', await jpeg(2000, 1500, 12, { quality: 80 }), 3],
    ];
    for (const [file, bytes] of sharedJpegs('the split decode comparison')) inputs.push([file, bytes, 1]);
    const expected = await Promise.all(inputs.map(([, bytes, eighths]) => answer(oneThread, bytes, eighths)));
    for (const [i, [name, bytes, eighths]] of inputs.entries())
      expect(same(await answer(split, bytes, eighths), expected[i]!), name).toBe(true);
    // Concurrent calls queue on the one instance (a split awaits its worker halfway).
    const concurrent = await Promise.all(inputs.map(([, bytes, eighths]) => answer(split, bytes, eighths)));
    for (const [i, [name]] of inputs.entries())
      expect(same(concurrent[i]!, expected[i]!), `${name}, concurrently`).toBe(true);
  });
});

describe('a helper that is still starting', () => {
  it('is not waited for: the decoder decodes alone, to the same pixels, and asks it once ready', async () => {
    const module = await WebAssembly.compile(
      readFileSync(new URL('../wasm/ferry-jpeg.wasm', import.meta.url)),
    );
    const inner = inThreadSplitHelper(await instantiate(module));
    let ready = false;
    let asked = 0;
    const helper = {
      ready: () => ready,
      speculate: (bytes: Uint8Array, eighths: number, permille: number) => {
        asked++;
        return inner.speculate(bytes, eighths, permille);
      },
    };
    const decoder = await createJpegDecoder(module, { helper, minBytes: 0 });
    const bytes = await jpeg(800, 600, 13, { quality: 90 });
    const expected = await answer(await loadJpegDecoder(), bytes, 1);
    expect(same(await answer(decoder, bytes, 1), expected)).toBe(true);
    expect(asked).toBe(0);
    ready = true;
    expect(same(await answer(decoder, bytes, 1), expected)).toBe(true);
    expect(asked).toBe(1);
  });
});

describe('nextPermille: the cut follows the two threads', () => {
  it('moves work to this thread after a wait, to the helper otherwise, within 250..750', () => {
    // Waited 2 ms after a 16 ms first part at 450: takes over ~half of that, 450 * 2 / 32.
    expect(nextPermille(450, { pointer: 1, beginMs: 16, waitMs: 2 })).toBe(478);
    // A long stall moves it by 5 % at most.
    expect(nextPermille(450, { pointer: 1, beginMs: 16, waitMs: 15 })).toBe(500);
    // No wait: hands the helper 1 % more.
    expect(nextPermille(450, { pointer: 1, beginMs: 16, waitMs: 0.1 })).toBe(440);
    expect(nextPermille(745, { pointer: 1, beginMs: 1, waitMs: 50 })).toBe(750);
    expect(nextPermille(255, { pointer: 1, beginMs: 16, waitMs: 0 })).toBe(250);
    // A split that never began says nothing about the threads.
    expect(nextPermille(450, { pointer: 0, beginMs: 0, waitMs: 0 })).toBe(450);
  });
});
