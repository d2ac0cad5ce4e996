/**
 * Progressive JPEGs at 1/8 are decoded from the scans a 1/8 decode reads (progressive.ts): the
 * pixels must be exactly the full decode's at 1/8, on made files (4:2:0, 4:4:4, grey, DC
 * successive approximation, restart markers) and on the shared camera photos rewritten as
 * progressive by jpegtran. Baseline files are untouched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FerryJpegModule, instantiate, loadInput } from './instance.js';
import { loadJpegDecoder } from './node.js';
import { scansForEighth } from './progressive.js';
import { cjpeg, photo, sharedJpegs } from './test-support/photos.js';

const hasJpegtran = spawnSync('sh', ['-c', 'command -v jpegtran'], { stdio: 'ignore' }).status === 0;
const requireAll = process.env.FERRY_REQUIRE_REAL_DATA === '1';

/** The 1/8 decode of exactly these bytes, every scan included (the instance, not the decoder). */
function fullDecodeAtEighth(wasm: FerryJpegModule, bytes: Uint8Array): Uint8Array {
  const pointer = wasm._ferry_jpeg_decode_scaled(loadInput(wasm, bytes), 1, 1);
  if (pointer === 0) throw new Error('full decode failed');
  const info = wasm.HEAP32.subarray(wasm._ferry_jpeg_info() >> 2, (wasm._ferry_jpeg_info() >> 2) + 6);
  return wasm.HEAPU8.slice(pointer, pointer + info[4]! * info[5]! * 3);
}

function jpegtranProgressive(bytes: Uint8Array): Uint8Array {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-prog-')), 'in.jpg');
  writeFileSync(file, bytes);
  return new Uint8Array(
    execFileSync('jpegtran', ['-progressive', '-copy', 'none', file], { maxBuffer: 2 ** 27 }),
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

  it('gives exactly the full decode at 1/8, and leaves baseline files alone', async () => {
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
      // cjpeg's default progression refines DC in a second scan (successive approximation).
      cases.push([
        'restart markers + DC refinement',
        await cjpeg(photo(800, 600, 4), ['-quality', '85', '-progressive', '-restart', '1']),
      ]);
    }
    for (const [name, bytes] of cases) {
      const stripped = scansForEighth(bytes);
      expect(stripped, name).toBeDefined();
      expect(stripped!.length, name).toBeLessThan(bytes.length / 2);
      const ours = await decoder.decode(bytes, { eighths: 1 });
      expect(Buffer.compare(Buffer.from(ours.data), Buffer.from(fullDecodeAtEighth(wasm, bytes))), name).toBe(
        0,
      );
    }
    const baseline = new Uint8Array(await photo(300, 200).jpeg().toBuffer());
    expect(scansForEighth(baseline)).toBeUndefined();
    // Truncated inside a scan: not walked, so libjpeg decides (and refuses) as before.
    const cut = cases[0]![1].subarray(0, Math.floor(cases[0]![1].length * 0.7));
    expect(scansForEighth(cut)).toBeUndefined();
    await expect(decoder.decode(cut, { eighths: 1 })).rejects.toThrow();
  });

  it('gives exactly the full 1/8 decode of the shared camera photos made progressive', async () => {
    const decoder = await loadJpegDecoder();
    if (!hasJpegtran) {
      if (requireAll) throw new Error('jpegtran (libjpeg-turbo-progs) is required');
      console.warn(
        '\n!!! SKIP progressive shared photos: no jpegtran (apt-get install libjpeg-turbo-progs)\n',
      );
      return;
    }
    for (const [file, baseline] of sharedJpegs('the progressive 1/8 check')) {
      const bytes = jpegtranProgressive(baseline);
      expect(scansForEighth(bytes), file).toBeDefined();
      const ours = await decoder.decode(bytes, { eighths: 1 });
      expect(Buffer.compare(Buffer.from(ours.data), Buffer.from(fullDecodeAtEighth(wasm, bytes))), file).toBe(
        0,
      );
    }
  });
});
