import { describeWasmProvenance } from '@ferry/fixtures/wasm-provenance';
import { PNG_DECODER_ID } from './index.js';

describeWasmProvenance({
  packageUrl: new URL('../', import.meta.url),
  workspace: '@ferry/codec-png',
  output: 'ferry-png',
  decoderId: PNG_DECODER_ID,
});
