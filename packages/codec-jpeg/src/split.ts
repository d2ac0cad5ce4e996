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
  /** False while the helper is still starting (a worker booting): decode alone meanwhile. */
  ready?(): boolean;
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

/** How a split went: the output pointer (0: decode the usual way) and its two phases' times. */
export interface SplitOutcome {
  pointer: number;
  /** The decoder's own first part: the exact decode up to S and the rows it gives. */
  beginMs: number;
  /** How long it then waited for the helper's half (0 when the half was already there). */
  waitMs: number;
}

/**
 * The decoder's side, with its input buffer already holding `size` bytes: begins, waits for the
 * helper's half, finishes. The caller keeps other decodes off this instance until it returns.
 */
export async function splitDecode(
  wasm: FerryJpegModule,
  size: number,
  eighths: number,
  permille: number,
  half: Promise<SplitHalf | undefined>,
): Promise<SplitOutcome> {
  const start = performance.now();
  if (wasm._ferry_jpeg_split_begin(size, eighths, permille) !== 0) {
    await half.catch(() => undefined);
    return { pointer: 0, beginMs: 0, waitMs: 0 };
  }
  const begun = performance.now();
  const other = await half.catch(() => undefined);
  const timing = { beginMs: begun - start, waitMs: performance.now() - begun };
  if (!other) return { pointer: wasm._ferry_jpeg_split_finish(0, 0, 0, 0, 0, 0), ...timing };
  const records = other.records.byteLength / 12;
  const area = wasm._ferry_jpeg_split_area(other.stream.byteLength / 2, records);
  if (area === 0) return { pointer: wasm._ferry_jpeg_split_finish(0, 0, 0, 0, 0, 0), ...timing };
  wasm.HEAPU8.set(other.stream, area);
  wasm.HEAPU8.set(other.records, wasm._ferry_jpeg_split_records());
  const [complete, lastBad, end, realEnd, marker] = other.ends;
  return {
    pointer: wasm._ferry_jpeg_split_finish(records, complete!, lastBad!, end!, realEnd!, marker!),
    ...timing,
  };
}

/**
 * Where to cut next time. The two threads do not run at a fixed ratio of speeds (on a shared VM
 * the helper's core was anywhere from as fast as this one to ~30 % slower), so the cut follows
 * them: when this thread waited, it takes over about half the wait's worth of data; when it did
 * not, it hands the helper 1 % more, to find out whether it can take it.
 */
export function nextPermille(permille: number, outcome: SplitOutcome): number {
  if (outcome.beginMs <= 0) return permille;
  // At most 5 % a step: one stalled helper (descheduled for 15 ms, seen here) is not a trend.
  const next =
    outcome.waitMs > 0.3
      ? permille + Math.min(50, (permille * outcome.waitMs) / (2 * outcome.beginMs))
      : permille - 10;
  return Math.round(Math.min(750, Math.max(250, next)));
}

/** [used the helper's half (0/1), MCUs decoded past S, MCU of the switch, rows made before]. */
export function splitStats(wasm: FerryJpegModule): number[] {
  return Array.from(new Uint32Array(wasm.HEAPU8.buffer, wasm._ferry_jpeg_split_stats(), 4));
}
