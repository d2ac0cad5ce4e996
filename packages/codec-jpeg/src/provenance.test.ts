import { describeWasmProvenance } from '@ferry/fixtures/wasm-provenance';
import { JPEG_DECODER_ID } from './index.js';

describeWasmProvenance({
  packageUrl: new URL('../', import.meta.url),
  workspace: '@ferry/codec-jpeg',
  output: 'ferry-jpeg',
  decoderId: JPEG_DECODER_ID,
});
