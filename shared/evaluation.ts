/**
 * Model evaluation results (issue 11, DESIGN.md §6): the metrics of one model version on one table,
 * and the curves drawn next to them. Values are those scikit-learn computes on the same
 * predictions. A result is already JSON-safe: a non-finite number is one of the strings
 * "Infinity", "-Infinity", "NaN", and a value that does not apply (no probabilities, so no
 * roc_auc) is null.
 */
import * as z from 'zod';
import { JsonNumber } from './drift.ts';

/** How the model's output was read (issue 11, "Outputs are read as follows"). */
export const OutputReading = z.enum([
  /** One probability column: the probability of class 1, a binary classifier at 0.5. */
  'binary-probability',
  /** Several columns: class probabilities, the prediction is the argmax. */
  'class-probabilities',
  /** An integer output: predicted class indices (or numeric labels when no classes are known). */
  'labels',
  /** A float output with a float label. */
  'regression',
]);
export type OutputReading = z.infer<typeof OutputReading>;

const Metric = JsonNumber.nullable();

export const ClassificationMetrics = z.object({
  accuracy: Metric,
  /** Binary: of class 1 (zero_division=0). Multiclass: macro average over the classes seen. */
  precision: Metric,
  recall: Metric,
  f1: Metric,
  /** Null without probabilities; NaN when a class has no example (scikit-learn refuses). */
  roc_auc: Metric,
  log_loss: Metric,
  example_count: z.number().int().nonnegative(),
  /** Multiclass only: averages weighted by each class's true count. */
  precision_weighted: Metric.optional(),
  recall_weighted: Metric.optional(),
  f1_weighted: Metric.optional(),
  roc_auc_weighted: Metric.optional(),
});
export type ClassificationMetrics = z.infer<typeof ClassificationMetrics>;

export const RegressionMetrics = z.object({
  rmse: Metric,
  mae: Metric,
  r2: Metric,
  example_count: z.number().int().nonnegative(),
});
export type RegressionMetrics = z.infer<typeof RegressionMetrics>;

/** The metrics that sum an evaluation up, in the order they are shown (those it has). */
export const HEADLINE_METRICS = ['accuracy', 'f1', 'roc_auc', 'rmse', 'mae', 'r2'] as const;

/** A curve thinned for drawing (at most ~500 points, both ends kept). */
export const RocCurve = z.object({
  /** The positive class's label (binary: class 1; multiclass: one curve per class, one-vs-rest). */
  class: z.string(),
  fpr: z.array(JsonNumber),
  tpr: z.array(JsonNumber),
  /** Decreasing; the first is "Infinity" (the point (0, 0)). */
  thresholds: z.array(JsonNumber),
  auc: Metric,
});
export type RocCurve = z.infer<typeof RocCurve>;

export const PrCurve = z.object({
  class: z.string(),
  /** Recall decreasing from 1 to 0, as scikit-learn's precision_recall_curve returns it. */
  precision: z.array(JsonNumber),
  recall: z.array(JsonNumber),
  /** Increasing; one fewer than the points (the last point, recall 0, has none). */
  thresholds: z.array(JsonNumber),
});
export type PrCurve = z.infer<typeof PrCurve>;

/** sklearn.calibration.calibration_curve with 10 uniform bins; empty bins are left out. */
export const CalibrationCurve = z.object({
  probTrue: z.array(JsonNumber),
  probPred: z.array(JsonNumber),
  /** Examples in each non-empty bin. */
  counts: z.array(z.number().int().nonnegative()),
});
export type CalibrationCurve = z.infer<typeof CalibrationCurve>;

export const ConfusionMatrix = z.object({
  /** Class labels, in the order of both axes. */
  labels: z.array(z.string()),
  /** matrix[true][predicted] = count. */
  matrix: z.array(z.array(z.number().int().nonnegative())),
});
export type ConfusionMatrix = z.infer<typeof ConfusionMatrix>;

/** Counts equal numpy.histogram(actual − predicted, bins=30). */
export const ResidualHistogram = z.object({
  edges: z.array(JsonNumber),
  counts: z.array(z.number().int().nonnegative()),
});
export type ResidualHistogram = z.infer<typeof ResidualHistogram>;

/** A deterministic sample of at most ~2,000 rows, evenly spaced through the table. */
export const PredictedVsActual = z.object({
  predicted: z.array(JsonNumber),
  actual: z.array(JsonNumber),
});
export type PredictedVsActual = z.infer<typeof PredictedVsActual>;

/** What was read: the rows of the table, and those dropped for a missing label or feature. */
export const EvaluationRows = z.object({
  read: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
});

const Common = {
  /** The model output the predictions were taken from. */
  output: z.string(),
  reading: OutputReading,
  rows: EvaluationRows,
};

export const ClassificationEvaluation = z.object({
  task: z.literal('classification'),
  ...Common,
  metrics: ClassificationMetrics,
  confusionMatrix: ConfusionMatrix,
  /** Empty without probabilities. */
  roc: z.array(RocCurve),
  pr: z.array(PrCurve),
  /** Binary classifiers with probabilities only. */
  calibration: CalibrationCurve.nullable(),
});
export type ClassificationEvaluation = z.infer<typeof ClassificationEvaluation>;

export const RegressionEvaluation = z.object({
  task: z.literal('regression'),
  ...Common,
  metrics: RegressionMetrics,
  residualHistogram: ResidualHistogram,
  predictedVsActual: PredictedVsActual,
});
export type RegressionEvaluation = z.infer<typeof RegressionEvaluation>;

export const EvaluationResult = z.discriminatedUnion('task', [
  ClassificationEvaluation,
  RegressionEvaluation,
]);
export type EvaluationResult = z.infer<typeof EvaluationResult>;

/** Progress of an evaluation: rows run through the model so far, of those to run. */
export const EvaluationProgress = z.object({ done: z.number(), total: z.number() });
export type EvaluationProgress = z.infer<typeof EvaluationProgress>;

/** A model input or output as the registry records it (onnxruntime's element type names). */
export const TensorSpec = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
  /** −1 for a dynamic dimension. */
  shape: z.array(z.number().int()),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

/**
 * What the evaluation engine needs: the model file and its signature, the feature spec, the table
 * and its label column. Plain data, so it crosses to the worker thread as it is.
 */
export const EvaluationRequest = z.object({
  modelPath: z.string().min(1),
  inputs: z.array(TensorSpec).min(1),
  outputs: z.array(TensorSpec).min(1),
  /** Per input name, the feature column behind each of its columns, in order. */
  featureSpec: z.record(z.string(), z.array(z.string().min(1)).min(1)),
  /** Class labels by output column index (the model's signature.json "classes"). */
  classes: z.array(z.string()).min(2).optional(),
  /**
   * A CSV, TSV, Parquet or JSON Lines file. `format` when the file's name does not tell (an object
   * store blob); `name` is what messages call it (its path in the dataset version).
   */
  table: z.object({
    path: z.string().min(1),
    format: z.enum(['csv', 'tsv', 'parquet', 'jsonl']).optional(),
    name: z.string().min(1).optional(),
  }),
  label: z.string().min(1),
  /** Overrides how a one-column float output is read (default: by the label column's type). */
  task: z.enum(['classification', 'regression']).optional(),
});
export type EvaluationRequest = z.infer<typeof EvaluationRequest>;
