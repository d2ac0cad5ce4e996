/**
 * Two-thread decoding of one big JPEG (native/ferry_jpeg_split.c explains how): the decoder's
 * own instance decodes the first part of the entropy-coded data exactly while a helper — a
 * second wasm instance, normally on a worker thread (split-worker.ts) — decodes the rest from a
 * guessed start. The pixels are those of the one-thread decode; anything the split cannot
 * prove exact falls back to it.
 */
import { type FerryJpegModule, loadInput } from './instance.js';

/** What the helper's instance decoded from S on (ferry_jpeg_split_result). */
export interface SplitHalf {
  /** The coefficient stream, int16s as bytes. */
  stream: Uint8Array;
  /** 12-byte MCU records. */
  records: Uint8Array;
  /** [MCUs complete, 1 + last bad code (0: none), end of last MCU, marker bit, marker offset]. */
  ends: number[];
}

/** Runs the helper's half on another instance; undefined when it cannot help (then it is not used). */
export interface SplitHelper {
  speculate(bytes: Uint8Array, eighths: number, permille: number): Promise<SplitHalf | undefined>;
}

/** The helper's half on `wasm`: what split-worker.ts runs per request. */
export function speculateHalf(
  wasm: FerryJpegModule,
  bytes: Uint8Array,
  eighths: number,
  permille: number,
): SplitHalf | undefined {
  const size = loadInput(wasm, bytes);
  if (wasm._ferry_jpeg_split_speculate(size, eighths, permille) !== 0) return undefined;
  const result = new Uint32Array(wasm.HEAPU8.buffer, wasm._ferry_jpeg_split_result(), 9);
  const [streamAt, streamLength, recordsAt, recordCount, ...ends] = Array.from(result);
  return {
    stream: wasm.HEAPU8.slice(streamAt!, streamAt! + streamLength! * 2),
    records: wasm.HEAPU8.slice(recordsAt!, recordsAt! + recordCount! * 12),
    ends,
  };
}

/**
 * A helper on the calling thread (a second instance, run before the first half): no speed-up,
 * but the same protocol, so tests can check the split at chosen split points deterministically.
 */
export function inThreadSplitHelper(wasm: FerryJpegModule): SplitHelper {
  return {
    speculate: async (bytes, eighths, permille) => speculateHalf(wasm, bytes, eighths, permille),
  };
}

/**
 * The decoder's side, with its input buffer already holding `size` bytes: begins, waits for the
 * helper's half, finishes. The output pointer (width, height in info[4], info[5]) or 0, when the
 * caller decodes the usual way. The caller keeps other decodes off this instance until it returns.
 */
export async function splitDecode(
  wasm: FerryJpegModule,
  size: number,
  eighths: number,
  permille: number,
  half: Promise<SplitHalf | undefined>,
): Promise<number> {
  if (wasm._ferry_jpeg_split_begin(size, eighths, permille) !== 0) {
    await half.catch(() => undefined);
    return 0;
  }
  const other = await half.catch(() => undefined);
  if (!other) return wasm._ferry_jpeg_split_finish(0, 0, 0, 0, 0, 0);
  const records = other.records.byteLength / 12;
  const area = wasm._ferry_jpeg_split_area(other.stream.byteLength / 2, records);
  if (area === 0) return wasm._ferry_jpeg_split_finish(0, 0, 0, 0, 0, 0);
  wasm.HEAPU8.set(other.stream, area);
  wasm.HEAPU8.set(other.records, wasm._ferry_jpeg_split_records());
  const [complete, lastBad, end, realEnd, marker] = other.ends;
  return wasm._ferry_jpeg_split_finish(records, complete!, lastBad!, end!, realEnd!, marker!);
}

/** [used the helper's half (0/1), MCUs decoded past S, MCU of the switch, rows made before]. */
export function splitStats(wasm: FerryJpegModule): number[] {
  return Array.from(new Uint32Array(wasm.HEAPU8.buffer, wasm._ferry_jpeg_split_stats(), 4));
}
