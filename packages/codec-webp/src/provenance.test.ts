import { readFileSync } from 'node:fs';
import { describeWasmProvenance } from '@ferry/fixtures/wasm-provenance';
import { expect, it } from 'vitest';
import { WEBP_DECODER_ID } from './index.js';

const packageUrl = new URL('../', import.meta.url);
describeWasmProvenance({
  packageUrl,
  workspace: '@ferry/codec-webp',
  output: 'ferry-webp',
  decoderId: WEBP_DECODER_ID,
});

it("records Debian's libwebp with its security patches (CVE-2023-4863)", () => {
  const provenance = JSON.parse(readFileSync(new URL('wasm/PROVENANCE.json', packageUrl), 'utf8')) as {
    libwebp: { version: string; debian: { package: string } };
    debianPatches: { file: string }[];
  };
  expect(provenance.libwebp.version).toBe('1.2.4');
  expect(provenance.libwebp.debian.package).toBe('libwebp=1.2.4-0.2+deb12u1');
  expect(provenance.debianPatches.map((entry) => entry.file)).toContain('debian/patches/CVE-2023-4863.patch');
});
