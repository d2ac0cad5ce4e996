/**
 * The committed wasm is what wasm/PROVENANCE.json says built it: the files it records for
 * native/ and patches/ are the ones here, and the outputs' sha256 are the committed files'. So a
 * changed C file or patch without a rebuilt wasm fails `npm test` on any machine, emscripten or
 * not; CI also rebuilds the wasm from the pinned source and compares bytes (build-wasm.mjs
 * --check).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JPEG_DECODER_ID } from './index.js';

const pkg = new URL('../', import.meta.url);
const sha256 = (path: string) =>
  createHash('sha256')
    .update(readFileSync(new URL(path, pkg)))
    .digest('hex');
const provenance = JSON.parse(readFileSync(new URL('wasm/PROVENANCE.json', pkg), 'utf8')) as {
  patches: { file: string; sha256: string }[];
  native: { file: string; sha256: string }[];
  outputs: Record<string, { sha256: string }>;
};
const REBUILD = 'rebuild with `npm run build:wasm -w @ferry/codec-jpeg -- --fetch` and commit wasm/';

describe('wasm/PROVENANCE.json', () => {
  it('lists exactly the C sources and patches here, unchanged since the wasm was built', () => {
    for (const [folder, recorded] of [
      ['native', provenance.native],
      ['patches', provenance.patches],
    ] as const) {
      const files = readdirSync(new URL(`${folder}/`, pkg))
        .filter((name) => folder === 'native' || name.endsWith('.patch'))
        .sort()
        .map((name) => `${folder}/${name}`);
      expect(
        recorded.map((entry) => entry.file),
        `${folder}/ changed: ${REBUILD}`,
      ).toEqual(files);
      for (const entry of recorded)
        expect(sha256(entry.file), `${entry.file} changed: ${REBUILD}`).toBe(entry.sha256);
    }
  });

  it('names the committed wasm and glue by their sha256, and the decoder id is the wasm hash', () => {
    expect(Object.keys(provenance.outputs).sort()).toEqual(['ferry-jpeg.js', 'ferry-jpeg.wasm']);
    for (const [name, { sha256: recorded }] of Object.entries(provenance.outputs))
      expect(sha256(`wasm/${name}`), `wasm/${name} is not the built file: ${REBUILD}`).toBe(recorded);
    expect(JPEG_DECODER_ID).toBe(`ferry-jpeg.wasm@${provenance.outputs['ferry-jpeg.wasm']!.sha256}`);
  });
});
