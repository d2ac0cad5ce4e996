/**
 * The seeded stratified train/val split: the same photos land in val for the same seed wherever
 * it runs (`ferry train` on a folder or CSV, a page splitting the photos dropped into it).
 */
import { createRandom, shuffleInPlace } from '@ferry/core';

/** What the split needs of a sample: a path (the final sort key) and a label index. */
export interface SplitSample {
  path: string;
  label: number;
}

/** Seeded stratified split: each class keeps its share in val (at least one image when it has two). */
export function stratifiedSplit<S extends SplitSample>(
  samples: readonly S[],
  valSplit: number,
  seed: number,
): { train: S[]; val: S[] } {
  const random = createRandom(seed);
  const byLabel = new Map<number, S[]>();
  for (const s of samples) byLabel.set(s.label, [...(byLabel.get(s.label) ?? []), s]);
  const train: S[] = [];
  const val: S[] = [];
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const group = shuffleInPlace([...(byLabel.get(label) ?? [])], random);
    let nVal = Math.round(group.length * valSplit);
    if (valSplit > 0 && nVal === 0 && group.length >= 2) nVal = 1;
    if (nVal >= group.length) nVal = group.length - 1;
    val.push(...group.slice(0, nVal));
    train.push(...group.slice(nVal));
  }
  const byPath = (a: S, b: S) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { train: train.sort(byPath), val: val.sort(byPath) };
}
