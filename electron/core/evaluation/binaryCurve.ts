/**
 * The ROC and precision–recall curves of one positive class, and its ROC AUC, computed as
 * scikit-learn 1.2's `roc_curve` (drop_intermediate=True), `precision_recall_curve` and
 * `roc_auc_score` do: one point per distinct score, ties counted together (so a tie between a
 * positive and a negative adds half a unit of area), the AUC the trapezoid rule over the ROC points.
 *
 * Instead of sorting (score, label) pairs, the scores of the positives and of the negatives are
 * sorted apart (typed-array sorts run natively, ~10× faster than sorting an index by comparator)
 * and walked together from the top: the same counts per distinct score.
 */

export interface BinaryCounts {
  /** Per distinct score, from the highest down: the score, and negatives / positives at or above it. */
  thresholds: Float64Array;
  fps: Float64Array;
  tps: Float64Array;
}

type Scores = Float32Array | Float64Array;

/**
 * Counts per distinct score. Both arrays are sorted in place (ascending). Walked twice — to count
 * the distinct scores, then to fill arrays of exactly that size — as fresh memory costs more here
 * than the walk (three arrays of a million doubles for scores that mostly repeat).
 */
export function binaryCounts(positives: Scores, negatives: Scores): BinaryCounts {
  positives.sort();
  negatives.sort();
  const m = walk(positives, negatives);
  const out = { thresholds: new Float64Array(m), fps: new Float64Array(m), tps: new Float64Array(m) };
  walk(positives, negatives, out);
  return out;
}

/** Goes through the distinct scores from the top; returns how many there are. */
function walk(positives: Scores, negatives: Scores, out?: BinaryCounts): number {
  let i = positives.length - 1;
  let j = negatives.length - 1;
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (i >= 0 || j >= 0) {
    const top = i < 0 ? negatives[j]! : j < 0 ? positives[i]! : Math.max(positives[i]!, negatives[j]!);
    while (i >= 0 && positives[i] === top) {
      tp++;
      i--;
    }
    while (j >= 0 && negatives[j] === top) {
      fp++;
      j--;
    }
    if (out) {
      out.thresholds[k] = top;
      out.fps[k] = fp;
      out.tps[k] = tp;
    }
    k++;
  }
  return k;
}

export interface Roc {
  fpr: Float64Array;
  tpr: Float64Array;
  /** Decreasing; the first is +Infinity, the added point (0, 0). */
  thresholds: Float64Array;
  /** NaN when there are no positives or no negatives (scikit-learn refuses then). */
  auc: number;
}

/** scikit-learn's roc_curve with drop_intermediate=True, and the area under it. */
export function rocCurve(counts: BinaryCounts): Roc {
  const { fps, tps, thresholds } = counts;
  const m = fps.length;
  // A point strictly between two collinear neighbours (second difference 0 in both) adds nothing.
  const kept = new Int32Array(m);
  let count = 0;
  for (let k = 0; k < m; k++) {
    const corner =
      k === 0 ||
      k === m - 1 ||
      fps[k - 1]! - 2 * fps[k]! + fps[k + 1]! !== 0 ||
      tps[k - 1]! - 2 * tps[k]! + tps[k + 1]! !== 0;
    if (corner) kept[count++] = k;
  }
  const keep = kept.subarray(0, count);
  const fpTotal = m ? fps[m - 1]! : 0;
  const tpTotal = m ? tps[m - 1]! : 0;
  const fpr = new Float64Array(keep.length + 1);
  const tpr = new Float64Array(keep.length + 1);
  const th = new Float64Array(keep.length + 1);
  th[0] = Number.POSITIVE_INFINITY;
  keep.forEach((k, at) => {
    fpr[at + 1] = fpTotal > 0 ? fps[k]! / fpTotal : Number.NaN;
    tpr[at + 1] = tpTotal > 0 ? tps[k]! / tpTotal : Number.NaN;
    th[at + 1] = thresholds[k]!;
  });
  if (fpTotal <= 0) fpr[0] = Number.NaN;
  if (tpTotal <= 0) tpr[0] = Number.NaN;
  let auc = 0;
  for (let k = 1; k < fpr.length; k++) auc += ((fpr[k]! - fpr[k - 1]!) * (tpr[k]! + tpr[k - 1]!)) / 2;
  return { fpr, tpr, thresholds: th, auc: fpTotal > 0 && tpTotal > 0 ? auc : Number.NaN };
}

export interface PrecisionRecall {
  /** Recall decreasing to 0; the last point (precision 1, recall 0) has no threshold. */
  precision: Float64Array;
  recall: Float64Array;
  thresholds: Float64Array;
}

/** scikit-learn 1.2's precision_recall_curve (every distinct score, zero precision where undefined). */
export function precisionRecallCurve(counts: BinaryCounts): PrecisionRecall {
  const { fps, tps, thresholds } = counts;
  const m = fps.length;
  const tpTotal = m ? tps[m - 1]! : 0;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const th = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const at = m - 1 - k;
    const predicted = tps[k]! + fps[k]!;
    precision[at] = predicted !== 0 ? tps[k]! / predicted : 0;
    // No positives at all: scikit-learn sets recall to 1 everywhere (and warns).
    recall[at] = tpTotal === 0 ? 1 : tps[k]! / tpTotal;
    th[at] = thresholds[k]!;
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds: th };
}
