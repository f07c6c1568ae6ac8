/**
 * Evaluates an ONNX model on a table (issue 11, "Evaluation"): reads the table with DuckDB, feeds
 * the feature columns to onnxruntime-node batch by batch as the feature spec maps them, reads the
 * output as the issue says —
 *   one probability column → a binary classifier at 0.5 (class 1 when p > 0.5);
 *   several columns → class probabilities, the argmax;
 *   an integer output → predicted labels;
 *   a float output with a float label → regression —
 * preferring probabilities when a model gives both, and returns scikit-learn's metrics and the
 * curves. It runs in the calling thread; evaluationRunner.ts runs it in a worker thread.
 */
import {
  type EvaluationProgress,
  EvaluationRequest,
  type EvaluationResult,
  type OutputReading,
} from '../../../shared/evaluation.ts';
import { cancelled, invalidInput } from '../errors.ts';
import { ClassificationAccumulator } from './classificationMetrics.ts';
import { type ColumnKind, EvaluationTable, type LabelMapping } from './evaluationTable.ts';
import { chooseOutput, declaredColumns, OnnxModel, planInputs, type TensorSpec } from './onnxModel.ts';
import { RegressionAccumulator } from './regressionMetrics.ts';

/** A bound on class indices when the model names no classes: a confusion matrix stays drawable. */
export const MAX_CLASSES = 1000;

export interface EvaluationContext {
  signal?: AbortSignal;
  progress?: (progress: EvaluationProgress) => void;
  /** Rows run through the model at a time (default 65,536). */
  batchRows?: number;
  /** Where DuckDB may spill (default: the OS's temp folder). */
  tempDir?: string;
  memoryLimit?: string;
}

export async function evaluateModel(
  input: EvaluationRequest,
  ctx: EvaluationContext = {},
): Promise<EvaluationResult> {
  const request = EvaluationRequest.parse(input);
  const stopIfCancelled = () => {
    if (ctx.signal?.aborted) throw cancelled('The evaluation was cancelled.');
  };
  stopIfCancelled();
  const model = await OnnxModel.load(request.modelPath);
  let table: EvaluationTable | undefined;
  try {
    const { plans, columns } = planInputs(request.inputs, request.featureSpec, model.inputNames);
    const output = chooseOutput(request.outputs, model.outputNames);
    stopIfCancelled();
    table = await EvaluationTable.open(request.table, ctx);
    const labelKind = table.column(request.label, 'label').kind;
    const reading = readingOf(output, labelKind, request);
    let classCount = classCountOf(output, reading, request.classes);
    const mapping: LabelMapping =
      reading === 'regression'
        ? { kind: 'number' }
        : request.classes
          ? { kind: 'classes', classes: request.classes }
          : { kind: 'indices', limit: classCount ?? MAX_CLASSES };
    // float32 inputs are fed FLOAT columns: DuckDB rounds each DOUBLE once, as a float32 cast would.
    const featureType = request.inputs.every((i) => i.type === 'float32') ? 'FLOAT' : 'DOUBLE';
    const { read } = await table.load(columns, request.label, mapping, featureType);
    const shown = request.table.name ?? request.table.path;
    if (read === 0) throw invalidInput(`${shown} has no rows to evaluate on.`);

    const regression = reading === 'regression' ? new RegressionAccumulator(read) : undefined;
    let classification: ClassificationAccumulator | undefined;
    let done = 0;
    ctx.progress?.({ done, total: read });
    for await (const batch of table.batches(ctx.batchRows ?? 65_536, mapping)) {
      stopIfCancelled();
      const out = await model.run(plans, batch.features, batch.rows, output.name);
      const columnsOut = outputColumns(out.dims, batch.rows, output);
      if (reading === 'regression') {
        if (columnsOut !== 1)
          throw invalidInput(
            `The output "${output.name}" gives ${columnsOut} values a row; a regression reads one.`,
          );
        regression!.add(
          batch.label as Float64Array,
          finitePredictions(out.data as ArrayLike<number>, output.name),
        );
      } else if (reading === 'labels') {
        const predicted = predictedIndices(out.data, output.name, classCount);
        classification ??= new ClassificationAccumulator(reading, classCount, request.classes, read);
        classification.addLabels(batch.label as Int32Array, predicted);
      } else {
        if (reading === 'class-probabilities') {
          classCount ??= columnsOut;
          if (columnsOut !== classCount)
            throw invalidInput(
              `Shape mismatch: the output "${output.name}" gives ${columnsOut} class probabilities a row, but the model has ${classCount} classes.`,
            );
        }
        const truth = batch.label as Int32Array;
        checkIndices(truth, classCount ?? 2, request.label);
        const probabilities = finitePredictions(out.data as ArrayLike<number>, output.name);
        classification ??= new ClassificationAccumulator(
          reading,
          classCount,
          request.classes,
          read,
          output.type === 'float32' ? 'float32' : 'float64',
        );
        classification.addProbabilities(truth, probabilities, columnsOut);
      }
      done += batch.rows;
      ctx.progress?.({ done: done + table.dropped, total: read });
    }
    if (done === 0)
      throw invalidInput(
        `No row to evaluate on: all ${read} rows of ${shown} miss the label or a feature value.`,
      );
    ctx.progress?.({ done: read, total: read });
    const common = { output: output.name, reading, rows: { read, dropped: read - done } };
    if (regression) return { task: 'regression', ...common, ...regression.finish() };
    return { task: 'classification', ...common, ...classification!.finish() };
  } finally {
    await table?.close();
    await model.release();
  }
}

function readingOf(output: TensorSpec, labelKind: ColumnKind, request: EvaluationRequest): OutputReading {
  if (!output.type.startsWith('float')) {
    if (request.task === 'regression')
      throw invalidInput(
        `The output "${output.name}" holds ${output.type} labels; a regression needs a float output.`,
      );
    return 'labels';
  }
  const columns = declaredColumns(output);
  if (request.task === 'regression') {
    if (columns !== 1 && columns !== undefined)
      throw invalidInput(
        `The output "${output.name}" gives ${columns} values a row; a regression reads one.`,
      );
    return 'regression';
  }
  if (columns === 1) {
    const regression = request.task === undefined && !request.classes && labelKind === 'float';
    return regression ? 'regression' : 'binary-probability';
  }
  return 'class-probabilities';
}

/** K, when the signature tells it; undefined when only the outputs will. */
function classCountOf(output: TensorSpec, reading: OutputReading, classes: readonly string[] | undefined) {
  if (reading === 'regression') return undefined;
  if (reading === 'binary-probability') {
    if (classes && classes.length !== 2)
      throw invalidInput(
        `The output "${output.name}" is one probability column (a binary classifier), but the model names ${classes.length} classes.`,
      );
    return 2;
  }
  const columns = reading === 'class-probabilities' ? declaredColumns(output) : undefined;
  if (columns !== undefined && classes && columns !== classes.length)
    throw invalidInput(
      `Shape mismatch: the output "${output.name}" has ${columns} class probabilities but the model names ${classes.length} classes.`,
    );
  return columns ?? classes?.length;
}

function outputColumns(dims: readonly number[], rows: number, output: TensorSpec): number {
  const [first, second = 1, ...rest] = dims;
  if (first !== rows || rest.length > 0)
    throw invalidInput(
      `Shape mismatch: the output "${output.name}" came back as [${dims.join(', ')}] for ${rows} rows.`,
    );
  return second;
}

function finitePredictions(data: ArrayLike<number>, name: string): ArrayLike<number> {
  for (let i = 0; i < data.length; i++)
    if (Number.isNaN(data[i]))
      throw invalidInput(
        `The model's output "${name}" holds NaN (value ${i} of a batch); evaluation needs numbers.`,
      );
  return data;
}

function predictedIndices(
  data: ArrayLike<number> | BigInt64Array,
  name: string,
  classCount: number | undefined,
): Int32Array {
  const out = new Int32Array(data.length);
  const limit = classCount ?? MAX_CLASSES;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!(Number.isInteger(v) && v >= 0 && v < limit))
      throw invalidInput(
        `The model's output "${name}" predicted ${v}, which is not a class index 0 to ${limit - 1}${classCount === undefined ? '' : ` (the model has ${classCount} classes)`}.`,
      );
    out[i] = v;
  }
  return out;
}

function checkIndices(truth: Int32Array, classCount: number, label: string): void {
  for (let i = 0; i < truth.length; i++)
    if (truth[i]! >= classCount)
      throw invalidInput(
        `The label column "${label}" holds ${truth[i]}, which is not a class index 0 to ${classCount - 1} of the model's ${classCount} classes.`,
      );
}
