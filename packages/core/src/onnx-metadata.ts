import { type ModelSpec, ONNX_METADATA_KEYS } from './spec/model-spec.js';
import { ModelSpecError, parseModelSpec } from './spec/parse.js';

/**
 * Reads `ModelProto.metadata_props` (field 14) from ONNX bytes by walking the protobuf wire
 * format and skipping everything else, graph included. onnxruntime's JS API does not expose
 * custom metadata, and this keeps a protobuf library out of Workers and browser bundles.
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const decoder = new TextDecoder();
  const result: Record<string, string> = {};
  const readVarint = (buf: Uint8Array, pos: { i: number }, end: number): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (pos.i >= end) throw new Error('truncated ONNX file (varint runs past the end)');
      const b = buf[pos.i++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
      if (shift > 63) throw new Error('malformed ONNX file (varint too long)');
    }
  };
  const skip = (buf: Uint8Array, pos: { i: number }, wireType: number, end: number): void => {
    if (wireType === 0) readVarint(buf, pos, end);
    else if (wireType === 1) pos.i += 8;
    else if (wireType === 2) {
      // Read the length first: `pos.i += readVarint(...)` would add to the pre-varint offset.
      const length = readVarint(buf, pos, end);
      pos.i += length;
    } else if (wireType === 5) pos.i += 4;
    else throw new Error(`malformed ONNX file (wire type ${wireType})`);
    if (pos.i > end) throw new Error('truncated ONNX file (field runs past the end)');
  };
  const pos = { i: 0 };
  const end = bytes.length;
  let sawGraph = false;
  while (pos.i < end) {
    const tag = readVarint(bytes, pos, end);
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 7 && wireType === 2) sawGraph = true;
    if (field === 14 && wireType === 2) {
      const len = readVarint(bytes, pos, end);
      const entryEnd = pos.i + len;
      if (entryEnd > end) throw new Error('truncated ONNX file (metadata entry runs past the end)');
      let key = '';
      let value = '';
      while (pos.i < entryEnd) {
        const t = readVarint(bytes, pos, entryEnd);
        if ((t & 7) === 2 && (t >> 3 === 1 || t >> 3 === 2)) {
          const l = readVarint(bytes, pos, entryEnd);
          const s = decoder.decode(bytes.subarray(pos.i, pos.i + l));
          pos.i += l;
          if (t >> 3 === 1) key = s;
          else value = s;
        } else skip(bytes, pos, t & 7, entryEnd);
      }
      result[key] = value;
    } else {
      skip(bytes, pos, wireType, end);
    }
  }
  if (!sawGraph) throw new Error('not an ONNX model (no graph found)');
  return result;
}

/** The Ferry model spec embedded in an exported ONNX file. */
export function readModelSpecFromOnnx(bytes: Uint8Array): ModelSpec {
  const metadata = readOnnxMetadata(bytes);
  const json = metadata[ONNX_METADATA_KEYS.spec];
  if (json === undefined) {
    throw new ModelSpecError(
      ONNX_METADATA_KEYS.spec,
      'this ONNX file has no Ferry model spec in its metadata; export it with `ferry export`',
    );
  }
  return parseModelSpec(json);
}
