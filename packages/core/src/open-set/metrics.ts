/**
 * Open-set metrics over OOD scores where higher means "less like the training photos":
 * in-distribution photos are the positives to keep, unrelated photos the ones to reject.
 */

/**
 * AUROC of separating unknown (`outScores`) from known (`inScores`) photos: the probability that
 * a random unknown photo scores above a random known one (ties count half).
 */
export function auroc(inScores: readonly number[], outScores: readonly number[]): number {
  if (inScores.length === 0 || outScores.length === 0) return Number.NaN;
  const all = [...inScores.map((s) => ({ s, out: false })), ...outScores.map((s) => ({ s, out: true }))].sort(
    (a, b) => a.s - b.s,
  );
  // Mann-Whitney U with mid-ranks for ties.
  let rankSumOut = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.out) rankSumOut += midRank;
    i = j;
  }
  const nOut = outScores.length;
  const nIn = inScores.length;
  return (rankSumOut - (nOut * (nOut + 1)) / 2) / (nOut * nIn);
}

/**
 * A threshold (score > threshold = unknown) that rejects at most `maxRejected` of `inScores`:
 * with n scores it keeps the ceil(n * (1 - maxRejected)) smallest. It sits halfway between the
 * last kept score and the next one, not on the kept score itself, so a runtime whose float32
 * score differs in the last bits does not reject one more val photo than the budget allows.
 */
export function thresholdForRejectRate(inScores: readonly number[], maxRejected: number): number {
  if (inScores.length === 0) return Number.POSITIVE_INFINITY;
  const sorted = [...inScores].sort((a, b) => a - b);
  const keep = Math.max(1, Math.min(sorted.length, Math.ceil(sorted.length * (1 - maxRejected))));
  const last = sorted[keep - 1]!;
  const next = sorted[keep];
  return next === undefined ? last : last + (next - last) / 2;
}

/** Share of scores strictly above the threshold (the ones answered "unknown"). */
export function rejectedShare(scores: readonly number[], threshold: number): number {
  if (scores.length === 0) return 0;
  return scores.filter((s) => s > threshold).length / scores.length;
}

/** False-positive rate on unknown photos at the threshold that keeps 95 % of known photos. */
export function fprAtTpr(inScores: readonly number[], outScores: readonly number[], tpr = 0.95): number {
  const t = thresholdForRejectRate(inScores, 1 - tpr);
  return outScores.length ? outScores.filter((s) => s <= t).length / outScores.length : Number.NaN;
}
