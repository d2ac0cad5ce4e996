/**
 * Progressive JPEGs at 1/8 are decoded from the scans a 1/8 decode reads (progressive.ts) into
 * the wasm's compact coefficient store (patches/*compact-coefficients.patch): the pixels must be
 * exactly native libjpeg-turbo's full 1/8 decode (djpeg -scale 1/8, every coefficient buffered),
 * on made files (4:2:0, 4:4:4, grey, DC successive approximation, restart markers, a scan script
 * that splits chroma's bands and refines them) and on the shared camera photos rewritten as
 * progressive by jpegtran; and so must the wasm's decode of the whole file, every scan kept
 * (luma's AC refinements then run through the compact store). Baseline files are untouched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FerryJpegModule, instantiate, loadInput } from './instance.js';
import { loadJpegDecoder } from './node.js';
import { scansForEighth } from './progressive.js';
import { djpeg, hasDjpeg } from './test-support/djpeg.js';
import { cjpeg, photo, sharedJpegs } from './test-support/photos.js';

const hasJpegtran = spawnSync('sh', ['-c', 'command -v jpegtran'], { stdio: 'ignore' }).status === 0;
const requireAll = process.env.FERRY_REQUIRE_REAL_DATA === '1';

/** The wasm's 1/8 decode of exactly these bytes, every scan included (the instance, not the decoder). */
function wasmEighth(wasm: FerryJpegModule, bytes: Uint8Array): Uint8Array {
  const pointer = wasm._ferry_jpeg_decode_scaled(loadInput(wasm, bytes), 1, 1);
  if (pointer === 0) throw new Error('full decode failed');
  const info = wasm.HEAP32.subarray(wasm._ferry_jpeg_info() >> 2, (wasm._ferry_jpeg_info() >> 2) + 6);
  return wasm.HEAPU8.slice(pointer, pointer + info[4]! * info[5]! * 3);
}

function jpegtran(bytes: Uint8Array, args: string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-prog-'));
  writeFileSync(join(dir, 'in.jpg'), bytes);
  return new Uint8Array(
    execFileSync('jpegtran', [...args, '-copy', 'none', join(dir, 'in.jpg')], {
      cwd: dir,
      maxBuffer: 2 ** 27,
    }),
  );
}

/**
 * A scan script jpegtran's default does not write: chroma's AC bands split at 5 (a scan starting
 * past 4, the last coefficient of a 2x2 block, that jpeg_idct_2x2 still reads) and refined over
 * 1-63, so refinement scans meet coefficients the compact store keeps only as nonzero bits.
 */
const SPLIT_CHROMA_SCANS = `0,1,2: 0-0, 0, 1;
0: 1-5, 0, 2;
1: 1-5, 0, 1;
2: 1-5, 0, 1;
1: 6-63, 0, 1;
2: 6-63, 0, 1;
0: 6-63, 0, 2;
0: 1-63, 2, 1;
1: 1-63, 1, 0;
2: 1-63, 1, 0;
0: 1-63, 1, 0;
0,1,2: 0-0, 1, 0;
`;

/** Our 1/8 decode (dropped scans) and the instance's (every scan) must both equal djpeg's. */
async function expectNativePixels(wasm: FerryJpegModule, bytes: Uint8Array, name: string) {
  const decoder = await loadJpegDecoder();
  const ref = djpeg(bytes, 1).rgb;
  const ours = await decoder.decode(bytes, { eighths: 1 });
  expect(Buffer.compare(Buffer.from(ours.data), Buffer.from(ref)), `${name}: scans dropped`).toBe(0);
  expect(Buffer.compare(Buffer.from(wasmEighth(wasm, bytes)), Buffer.from(ref)), `${name}: every scan`).toBe(
    0,
  );
}

describe('progressive JPEGs at 1/8: only the scans it reads', () => {
  let wasm: FerryJpegModule;
  beforeAll(async () => {
    const module = await WebAssembly.compile(
      readFileSync(new URL('../wasm/ferry-jpeg.wasm', import.meta.url)),
    );
    wasm = await instantiate(module);
  });

  it.skipIf(!hasDjpeg && !requireAll)(
    "gives exactly native libjpeg-turbo's 1/8 pixels, and leaves baseline files alone",
    async () => {
      if (!hasDjpeg) throw new Error('djpeg (libjpeg-turbo-progs) is required');
      const decoder = await loadJpegDecoder();
      const cases: [string, Uint8Array][] = [
        [
          '4:2:0',
          new Uint8Array(await photo(1203, 901, 1).jpeg({ quality: 90, progressive: true }).toBuffer()),
        ],
        [
          '4:4:4',
          new Uint8Array(
            await photo(640, 481, 2)
              .jpeg({ quality: 95, progressive: true, chromaSubsampling: '4:4:4' })
              .toBuffer(),
          ),
        ],
        ['grey', new Uint8Array(await photo(517, 389, 3).grayscale().jpeg({ progressive: true }).toBuffer())],
      ];
      if (hasJpegtran) {
        cases.push([
          'restart markers + DC refinement',
          await cjpeg(photo(800, 600, 4), ['-quality', '85', '-progressive', '-restart', '1']),
        ]);
        const dir = mkdtempSync(join(tmpdir(), 'ferry-scans-'));
        writeFileSync(join(dir, 'scans.txt'), SPLIT_CHROMA_SCANS);
        const baseline = new Uint8Array(await photo(777, 555, 5).jpeg({ quality: 92 }).toBuffer());
        cases.push([
          'chroma bands split and refined',
          jpegtran(baseline, ['-scans', join(dir, 'scans.txt')]),
        ]);
      } else if (requireAll) throw new Error('jpegtran (libjpeg-turbo-progs) is required');
      for (const [name, bytes] of cases) {
        const stripped = scansForEighth(bytes);
        expect(stripped, name).toBeDefined();
        expect(stripped!.length, name).toBeLessThan(bytes.length / 2);
        await expectNativePixels(wasm, bytes, name);
      }
      const baseline = new Uint8Array(await photo(300, 200).jpeg().toBuffer());
      expect(scansForEighth(baseline)).toBeUndefined();
      const cut = cases[0]![1].subarray(0, Math.floor(cases[0]![1].length * 0.7));
      expect(scansForEighth(cut)).toBeUndefined();
      await expect(decoder.decode(cut, { eighths: 1 })).rejects.toThrow();
    },
  );

  it("gives exactly native libjpeg-turbo's 1/8 pixels of the shared camera photos made progressive", async () => {
    if (!hasJpegtran || !hasDjpeg) {
      if (requireAll) throw new Error('jpegtran and djpeg (libjpeg-turbo-progs) are required');
      console.warn(
        '\n!!! SKIP progressive shared photos: no jpegtran/djpeg (apt-get install libjpeg-turbo-progs)\n',
      );
      return;
    }
    for (const [file, baseline] of sharedJpegs('the progressive 1/8 check')) {
      const bytes = jpegtran(baseline, ['-progressive']);
      expect(scansForEighth(bytes), file).toBeDefined();
      await expectNativePixels(wasm, bytes, file);
    }
  });
});
