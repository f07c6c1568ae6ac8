/**
 * Classification metrics, accumulated batch by batch and equal to scikit-learn 1.2's on the same
 * predictions: accuracy_score; precision/recall/f1 (binary: of class 1; multiclass: macro over the
 * classes present in the truth or the predictions, and weighted by true counts; zero_division=0);
 * roc_auc_score (multiclass: one-vs-rest); log_loss (probabilities clipped to [eps, 1 − eps] for
 * float64's eps, then each row renormalised — scikit-learn ≥ 1.5 no longer renormalises, which
 * differs by ~1e-7 for float32 outputs); calibration_curve (10 uniform bins).
 *
 * Streaming: the log loss, calibration bins and counts are added per batch. What needs every row at
 * once — the confusion matrix's class count for a labels-only model, and the ROC sorts — is kept in
 * typed arrays sized to the table up front (8 bytes a row per score column).
 */

import { toJsonNumber } from '../../../shared/drift.ts';
import type {
  CalibrationCurve,
  ClassificationEvaluation,
  ClassificationMetrics,
  PrCurve,
  RocCurve,
} from '../../../shared/evaluation.ts';
import { binaryCounts, precisionRecallCurve, rocCurve } from './binaryCurve.ts';
import { CompensatedSum } from './compensatedSum.ts';
import { pick, thinCurve } from './curveThinning.ts';

export type ClassificationReading = 'binary-probability' | 'class-probabilities' | 'labels';

/** float64's machine epsilon: scikit-learn clips with the eps of the probabilities' dtype. */
const EPS = 2.220446049250313e-16;
const CALIBRATION_BINS = 10;
/** np.linspace(0, 1, 11): i * 0.1, so 0.30000000000000004 and not 0.3 (binning must agree). */
const CALIBRATION_EDGES = Array.from(
  { length: CALIBRATION_BINS - 1 },
  (_, i) => (i + 1) * (1 / CALIBRATION_BINS),
);

export type ClassificationResult = Pick<
  ClassificationEvaluation,
  'metrics' | 'confusionMatrix' | 'roc' | 'pr' | 'calibration'
>;

export class ClassificationAccumulator {
  private count = 0;
  private readonly truth: Int32Array;
  private readonly predicted: Int32Array;
  /** Binary: the score of class 1 per row. Multiclass: the row-major probabilities. */
  private readonly scores: Float64Array | Float32Array | undefined;
  private readonly logLoss = new CompensatedSum();
  private readonly calibration = {
    sums: new Float64Array(CALIBRATION_BINS),
    positives: new Float64Array(CALIBRATION_BINS),
    totals: new Float64Array(CALIBRATION_BINS),
  };

  /**
   * @param classCount K when known (the probability columns, or the classes' count); undefined
   *   for a labels-only model without classes, where it is the largest index seen plus one.
   * @param rows how many rows will be added in all.
   */
  constructor(
    private readonly reading: ClassificationReading,
    private readonly classCount: number | undefined,
    private readonly classes: readonly string[] | undefined,
    rows: number,
    probabilityPrecision: 'float32' | 'float64' = 'float64',
  ) {
    this.truth = new Int32Array(rows);
    this.predicted = new Int32Array(rows);
    if (reading === 'labels') this.scores = undefined;
    else {
      // float32 outputs are kept as float32: exact, and half the memory to fill and sort.
      const size = reading === 'binary-probability' || classCount === 2 ? rows : rows * (classCount ?? 0);
      this.scores = probabilityPrecision === 'float32' ? new Float32Array(size) : new Float64Array(size);
    }
  }

  /** Rows of one batch: class indices and the model's probabilities (`columns` per row). */
  addProbabilities(truth: Int32Array, probabilities: ArrayLike<number>, columns: number): void {
    const n = truth.length;
    for (let r = 0; r < n; r++) {
      const y = truth[r]!;
      const at = this.count++;
      this.truth[at] = y;
      let score: number;
      if (columns === 1) {
        const p = probabilities[r]!;
        this.predicted[at] = p > 0.5 ? 1 : 0;
        // scikit-learn clips the one column, then makes the rows [1 − p, p] and renormalises them.
        const c = clip(p);
        const row = y === 1 ? c : 1 - c;
        this.logLoss.add(-Math.log(row / (1 - c + c)));
        score = p;
      } else {
        const base = r * columns;
        let best = 0;
        let sum = 0;
        for (let k = 0; k < columns; k++) {
          const p = probabilities[base + k]!;
          // np.argmax: the first of equal maxima.
          if (p > probabilities[base + best]!) best = k;
          sum += clip(p);
        }
        this.predicted[at] = best;
        this.logLoss.add(-Math.log(clip(probabilities[base + y]!) / sum));
        score = probabilities[base + 1]!;
        if (columns > 2) {
          const scores = this.scores!;
          for (let k = 0; k < columns; k++) scores[at * columns + k] = probabilities[base + k]!;
        }
      }
      if (columns <= 2) {
        this.scores![at] = score;
        const c = this.calibration;
        let bin = 0;
        while (bin < CALIBRATION_EDGES.length && CALIBRATION_EDGES[bin]! < score) bin++;
        c.sums[bin]! += score;
        c.positives[bin]! += y === 1 ? 1 : 0;
        c.totals[bin]! += 1;
      }
    }
  }

  /** Rows of one batch: class indices, true and predicted. */
  addLabels(truth: Int32Array, predicted: Int32Array): void {
    this.truth.set(truth, this.count);
    this.predicted.set(predicted, this.count);
    this.count += truth.length;
  }

  finish(): ClassificationResult {
    const n = this.count;
    const truth = this.truth.subarray(0, n);
    const predicted = this.predicted.subarray(0, n);
    let k = this.classCount ?? 0;
    if (this.classCount === undefined)
      for (let i = 0; i < n; i++) k = Math.max(k, truth[i]! + 1, predicted[i]! + 1);
    k = Math.max(k, 2);
    const labels = this.classes ? [...this.classes] : Array.from({ length: k }, (_, i) => String(i));
    const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    let correct = 0;
    for (let i = 0; i < n; i++) {
      matrix[truth[i]!]![predicted[i]!]!++;
      if (truth[i] === predicted[i]) correct++;
    }
    const binary = k === 2;
    const scores = this.averages(matrix, binary);
    const probabilities = this.reading !== 'labels';
    const curves = probabilities
      ? this.curves(truth, k, labels, binary)
      : { roc: [], auc: null, aucWeighted: null };
    const metrics: ClassificationMetrics = {
      accuracy: toJsonNumber(correct / n),
      precision: toJsonNumber(scores.precision),
      recall: toJsonNumber(scores.recall),
      f1: toJsonNumber(scores.f1),
      roc_auc: curves.auc === null ? null : toJsonNumber(curves.auc),
      log_loss: probabilities ? toJsonNumber(this.logLoss.value / n) : null,
      example_count: n,
    };
    if (!binary) {
      metrics.precision_weighted = toJsonNumber(scores.precisionWeighted);
      metrics.recall_weighted = toJsonNumber(scores.recallWeighted);
      metrics.f1_weighted = toJsonNumber(scores.f1Weighted);
      metrics.roc_auc_weighted = curves.aucWeighted === null ? null : toJsonNumber(curves.aucWeighted);
    }
    return {
      metrics,
      confusionMatrix: { labels, matrix },
      roc: curves.roc,
      pr: 'pr' in curves ? curves.pr : [],
      calibration: probabilities && binary ? this.calibrationCurve() : null,
    };
  }

  /** Precision, recall and F1 from the confusion matrix, as precision_recall_fscore_support. */
  private averages(matrix: number[][], binary: boolean): Averages {
    const perClass = matrix.map((row, c) => {
      const tp = row[c]!;
      const support = row.reduce((a, b) => a + b, 0);
      const predicted = matrix.reduce((a, r) => a + r[c]!, 0);
      const precision = predicted ? tp / predicted : 0;
      const recall = support ? tp / support : 0;
      const denominator = precision + recall;
      const f1 = denominator ? (2 * precision * recall) / denominator : 0;
      return { precision, recall, f1, support, present: support > 0 || predicted > 0 };
    });
    if (binary) {
      const positive = perClass[1]!;
      const { precision, recall, f1 } = positive;
      return {
        precision,
        recall,
        f1,
        precisionWeighted: Number.NaN,
        recallWeighted: Number.NaN,
        f1Weighted: Number.NaN,
      };
    }
    // With labels=None scikit-learn averages over the classes found in y_true ∪ y_pred.
    const present = perClass.filter((c) => c.present);
    const macro = (key: 'precision' | 'recall' | 'f1') =>
      present.reduce((a, c) => a + c[key], 0) / present.length;
    const totalSupport = perClass.reduce((a, c) => a + c.support, 0);
    const weighted = (key: 'precision' | 'recall' | 'f1') =>
      totalSupport ? present.reduce((a, c) => a + c[key] * c.support, 0) / totalSupport : 0;
    return {
      precision: macro('precision'),
      recall: macro('recall'),
      f1: macro('f1'),
      precisionWeighted: weighted('precision'),
      recallWeighted: weighted('recall'),
      f1Weighted: weighted('f1'),
    };
  }

  /** ROC and PR curves (class 1, or each class against the rest) and the ROC AUC. */
  private curves(truth: Int32Array, k: number, labels: string[], binary: boolean) {
    const n = truth.length;
    const scores = this.scores!;
    const classesToScore = binary ? [1] : Array.from({ length: k }, (_, c) => c);
    const support = new Float64Array(k);
    for (let i = 0; i < n; i++) support[truth[i]!]!++;
    const roc: RocCurve[] = [];
    const pr: PrCurve[] = [];
    const aucs: number[] = [];
    for (const c of classesToScore) {
      const Scores = scores instanceof Float32Array ? Float32Array : Float64Array;
      const positives = new Scores(support[c]!);
      const negatives = new Scores(n - support[c]!);
      let p = 0;
      let q = 0;
      for (let i = 0; i < n; i++) {
        const s = binary ? scores[i]! : scores[i * k + c]!;
        if (truth[i] === c) positives[p++] = s;
        else negatives[q++] = s;
      }
      const counts = binaryCounts(positives, negatives);
      const r = rocCurve(counts);
      const keepRoc = thinCurve(r.fpr, r.tpr);
      const [fpr, tpr, thresholds] = pick(keepRoc, r.fpr, r.tpr, r.thresholds);
      roc.push({
        class: labels[c]!,
        fpr: fpr!.map(toJsonNumber),
        tpr: tpr!.map(toJsonNumber),
        thresholds: thresholds!.map(toJsonNumber),
        auc: toJsonNumber(r.auc),
      });
      const curve = precisionRecallCurve(counts);
      const keepPr = thinCurve(curve.recall, curve.precision);
      const [precision, recall] = pick(keepPr, curve.precision, curve.recall);
      // The last point (recall 0) has no threshold.
      const thresholdsPr = keepPr.filter((i) => i < curve.thresholds.length).map((i) => curve.thresholds[i]!);
      pr.push({
        class: labels[c]!,
        precision: precision!.map(toJsonNumber),
        recall: recall!.map(toJsonNumber),
        thresholds: thresholdsPr.map(toJsonNumber),
      });
      aucs.push(r.auc);
    }
    if (binary) return { roc, pr, auc: aucs[0]!, aucWeighted: null };
    // One-vs-rest: the plain mean and the mean weighted by true counts. A class with no examples
    // has no ROC curve; scikit-learn refuses, here the averages are NaN.
    const auc = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    const aucWeighted = aucs.reduce((a, x, c) => a + x * support[c]!, 0) / n;
    return { roc, pr, auc, aucWeighted };
  }

  private calibrationCurve(): CalibrationCurve {
    const { sums, positives, totals } = this.calibration;
    const out: CalibrationCurve = { probTrue: [], probPred: [], counts: [] };
    for (let b = 0; b < CALIBRATION_BINS; b++) {
      if (totals[b] === 0) continue;
      out.probTrue.push(toJsonNumber(positives[b]! / totals[b]!));
      out.probPred.push(toJsonNumber(sums[b]! / totals[b]!));
      out.counts.push(totals[b]!);
    }
    return out;
  }
}

interface Averages {
  precision: number;
  recall: number;
  f1: number;
  /** Multiclass only. */
  precisionWeighted: number;
  recallWeighted: number;
  f1Weighted: number;
}

const clip = (p: number) => Math.min(Math.max(p, EPS), 1 - EPS);
