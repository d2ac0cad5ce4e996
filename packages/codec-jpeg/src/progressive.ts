/**
 * A progressive JPEG decoded at 1/8 needs few of its scans. At 1/8 libjpeg's IDCT for a
 * full-resolution component is 1x1: each 8x8 block becomes one pixel from its DC coefficient
 * alone (jidctred.c). A subsampled component gets a larger IDCT instead of upsampling (jdmaster.c:
 * 4:2:0 chroma 2x2, whose jpeg_idct_2x2 reads coefficients up to row and column 7, so every
 * chroma scan is kept). So the scans that carry only other coefficients, the luma AC scans, most
 * of the file's entropy-coded data and nearly all of its decoding time, change nothing in the
 * output. Dropping them before libjpeg sees the file gives the same pixels
 * (src/progressive.test.ts checks it against the full decode) in a fraction of the time: a 12-MP
 * progressive photo then decodes about as fast as a baseline one at 1/8.
 *
 * The walk is over markers only: every segment is kept as it is except the scans whose spectral
 * band starts past every coefficient its components' IDCTs read. Anything unexpected (not
 * progressive, a scan that runs to the end of the data, a length past the end) gives undefined,
 * and the caller decodes the bytes as they are, so libjpeg still has the last word on damaged
 * files.
 */

/**
 * The highest zigzag index an s x s IDCT reads: the DC (0) alone for 1x1; jpeg_idct_2x2 skips
 * only rows and columns 2, 4 and 6, so it reads coefficient (7, 7), the last (63), as do larger.
 */
function lastCoefficientRead(size: number): number {
  return size === 1 ? 0 : 63;
}

/**
 * The same JPEG with only the scans a 1/8 decode reads, or undefined when it is not a progressive
 * JPEG, nothing could be dropped, or anything looks odd.
 */
export function scansForEighth(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const kept: Uint8Array[] = [bytes.subarray(0, 2)];
  let progressive = false;
  let dropped = false;
  // Per component id: the last zigzag coefficient its IDCT reads at 1/8.
  const lastRead = new Map<number, number>();
  let pos = 2;
  while (pos < bytes.length) {
    if (bytes[pos] !== 0xff) return undefined;
    // Fill bytes (0xFF runs) may precede a marker.
    let at = pos;
    while (at + 1 < bytes.length && bytes[at + 1] === 0xff) at++;
    const marker = bytes[at + 1];
    if (marker === undefined) return undefined;
    if (marker === 0xd9) {
      kept.push(bytes.subarray(at, at + 2));
      break;
    }
    if (at + 3 >= bytes.length) return undefined;
    const end = at + 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
    if (end > bytes.length) return undefined;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // A start of frame: only SOF2 (progressive, Huffman) is handled here.
      if (marker !== 0xc2) return undefined;
      progressive = true;
      // jdmaster.c: at 1/8 a component's IDCT size doubles from 1 while the largest sampling
      // factors stay multiples of twice its own (scaled) factors.
      const count = bytes[at + 9]!;
      if (at + 10 + 3 * count > end) return undefined;
      const factors = Array.from({ length: count }, (_, c) => bytes[at + 11 + 3 * c]!);
      const hMax = Math.max(...factors.map((f) => f >> 4));
      const vMax = Math.max(...factors.map((f) => f & 15));
      for (let c = 0; c < count; c++) {
        const h = factors[c]! >> 4;
        const v = factors[c]! & 15;
        let size = 1;
        while (size < 8 && hMax % (h * size * 2) === 0 && vMax % (v * size * 2) === 0) size *= 2;
        lastRead.set(bytes[at + 10 + 3 * c]!, lastCoefficientRead(size));
      }
    }
    if (marker !== 0xda) {
      kept.push(bytes.subarray(at, end));
      pos = end;
      continue;
    }
    // SOS: Ns, Ns component specs, then Ss, Se, Ah/Al; then entropy-coded data up to the next
    // marker that is neither a stuffed 0xFF00 nor a restart marker.
    if (!progressive) return undefined;
    const components = bytes[at + 4]!;
    const spectralStart = bytes[at + 5 + 2 * components];
    if (spectralStart === undefined || at + 5 + 2 * components >= end) return undefined;
    let next = end;
    for (;;) {
      next = bytes.indexOf(0xff, next);
      if (next < 0 || next + 1 >= bytes.length) return undefined;
      const b = bytes[next + 1]!;
      // 0xFF00 is a stuffed data byte, 0xFFD0-D7 a restart marker; anything else (fill 0xFF
      // included) starts the next marker.
      if (b !== 0x00 && (b < 0xd0 || b > 0xd7)) break;
      next += 2;
    }
    let needed = false;
    for (let c = 0; c < components; c++) {
      const last = lastRead.get(bytes[at + 5 + 2 * c]!);
      if (last === undefined) return undefined;
      if (spectralStart <= last) needed = true;
    }
    if (needed) kept.push(bytes.subarray(at, next));
    else dropped = true;
    pos = next;
  }
  if (!progressive || !dropped) return undefined;
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
