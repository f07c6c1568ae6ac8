/**
 * The evaluation engine against scikit-learn: each fixture (made by fixtures/make_fixtures.py) is
 * a real ONNX model run by onnxruntime-node over a real table read by DuckDB, and the figures
 * scikit-learn computed on the same predictions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { JsonNumber } from '../../../shared/drift.ts';
import { type EvaluationRequest, EvaluationResult } from '../../../shared/evaluation.ts';
import { WorkbenchError } from '../errors.ts';
import { evaluateModel } from './evaluateModel.ts';
import { evaluateModelInWorker } from './evaluationRunner.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-eval-test-'));
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

type Expected = Record<string, unknown> & { metrics: Record<string, JsonNumber | null> };

function fixture(name: string): { request: EvaluationRequest; expected: Expected } {
  const raw = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', `${name}.json`), 'utf8'));
  const request = raw.request as EvaluationRequest;
  request.modelPath = path.join(FIXTURES, request.modelPath);
  request.table = { path: path.join(FIXTURES, request.table.path) };
  return { request, expected: raw.expected };
}

/** Equal within 1e-9 relative (1e-12 absolute near zero); non-finite spellings and nulls exactly. */
function expectClose(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected !== 'number' || typeof actual !== 'number') {
    expect(actual, where).toEqual(expected);
    return;
  }
  const tolerance = Math.max(1e-9 * Math.abs(expected), 1e-12);
  expect(Math.abs(actual - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

function expectAllClose(actual: readonly unknown[], expected: readonly unknown[], where: string): void {
  expect(actual.length, `${where} length`).toBe(expected.length);
  expected.forEach((e, i) => {
    expectClose(actual[i], e, `${where}[${i}]`);
  });
}

function expectMetrics(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) expectClose(actual[key], value, key);
}

/** Batches of 64 rows, so every table crosses several batches and DuckDB chunks split. */
const small = { batchRows: 64, tempDir: temp };

describe('evaluateModel against scikit-learn', () => {
  it('reads one probability column as a binary classifier at 0.5, with tied scores', async () => {
    const { request, expected } = fixture('binary_probability');
    const result = EvaluationResult.parse(await evaluateModel(request, small));
    if (result.task !== 'classification') throw new Error('expected a classification');
    expect(result.reading).toBe('binary-probability');
    expect(result.output).toBe('probability');
    expect(result.rows).toEqual(expected.rows);
    expectMetrics(result.metrics, expected.metrics);
    expect(result.confusionMatrix).toEqual({ labels: ['0', '1'], matrix: expected.confusionMatrix });
    const [roc] = expected.roc as { fpr: number[]; tpr: number[]; thresholds: JsonNumber[] }[];
    // Ties: fewer ROC points than rows, one per distinct score at most.
    expect(roc!.fpr.length).toBeLessThan(60);
    expectAllClose(result.roc[0]!.fpr, roc!.fpr, 'fpr');
    expectAllClose(result.roc[0]!.tpr, roc!.tpr, 'tpr');
    expectAllClose(result.roc[0]!.thresholds, roc!.thresholds, 'roc thresholds');
    expectClose(result.roc[0]!.auc, expected.metrics.roc_auc, 'curve auc');
    const [pr] = expected.pr as { precision: number[]; recall: number[]; thresholds: number[] }[];
    expectAllClose(result.pr[0]!.precision, pr!.precision, 'precision');
    expectAllClose(result.pr[0]!.recall, pr!.recall, 'recall');
    expectAllClose(result.pr[0]!.thresholds, pr!.thresholds, 'pr thresholds');
    const calibration = expected.calibration as { probTrue: number[]; probPred: number[] };
    expectAllClose(result.calibration!.probTrue, calibration.probTrue, 'probTrue');
    expectAllClose(result.calibration!.probPred, calibration.probPred, 'probPred');
    expect(result.calibration!.counts.reduce((a, b) => a + b, 0)).toBe(result.metrics.example_count);
  });

  it('uses the probabilities of a model that also outputs labels; text classes; a class never predicted', async () => {
    const { request, expected } = fixture('multiclass');
    const result = await evaluateModel(request, small);
    if (result.task !== 'classification') throw new Error('expected a classification');
    expect(result.reading).toBe('class-probabilities');
    expect(result.output).toBe('probabilities');
    expect(result.rows).toEqual(expected.rows);
    expectMetrics(result.metrics, expected.metrics);
    expect(result.confusionMatrix.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(result.confusionMatrix.matrix).toEqual(expected.confusionMatrix);
    expect(result.confusionMatrix.matrix.map((row) => row[2])).toEqual([0, 0, 0]);
    const rocs = expected.roc as { fpr: number[]; tpr: number[]; thresholds: JsonNumber[] }[];
    const prs = expected.pr as { precision: number[]; recall: number[]; thresholds: number[] }[];
    expect(result.roc.map((r) => r.class)).toEqual(['setosa', 'versicolor', 'virginica']);
    rocs.forEach((roc, c) => {
      expectAllClose(result.roc[c]!.fpr, roc.fpr, `fpr ${c}`);
      expectAllClose(result.roc[c]!.tpr, roc.tpr, `tpr ${c}`);
      expectAllClose(result.roc[c]!.thresholds, roc.thresholds, `thresholds ${c}`);
      expectAllClose(result.pr[c]!.precision, prs[c]!.precision, `precision ${c}`);
      expectAllClose(result.pr[c]!.recall, prs[c]!.recall, `recall ${c}`);
    });
    expect(result.calibration).toBeNull();
  });

  it('reads a two-column softmax with text classes as a binary classifier of the second class', async () => {
    const { request, expected } = fixture('binary_softmax');
    const result = await evaluateModel(request, small);
    if (result.task !== 'classification') throw new Error('expected a classification');
    expect(result.reading).toBe('class-probabilities');
    expectMetrics(result.metrics, expected.metrics);
    expect(result.confusionMatrix).toEqual({ labels: ['no', 'yes'], matrix: expected.confusionMatrix });
    expect(result.roc.map((r) => r.class)).toEqual(['yes']);
    const calibration = expected.calibration as { probTrue: number[]; probPred: number[] };
    expectAllClose(result.calibration!.probTrue, calibration.probTrue, 'probTrue');
    expectAllClose(result.calibration!.probPred, calibration.probPred, 'probPred');
  });

  it('reads an integer output as labels: no roc_auc or log_loss, classes found in truth and predictions', async () => {
    const { request, expected } = fixture('labels_only');
    const result = await evaluateModel(request, small);
    if (result.task !== 'classification') throw new Error('expected a classification');
    expect(result.reading).toBe('labels');
    expectMetrics(result.metrics, expected.metrics);
    expect(result.metrics.roc_auc).toBeNull();
    expect(result.confusionMatrix).toEqual({
      labels: ['0', '1', '2', '3'],
      matrix: expected.confusionMatrix,
    });
    expect(result.roc).toEqual([]);
  });

  it('reads a float output with a float label as a regression (float64 input, TSV)', async () => {
    const { request, expected } = fixture('regression');
    const result = await evaluateModel(request, small);
    if (result.task !== 'regression') throw new Error('expected a regression');
    expect(result.rows).toEqual(expected.rows);
    expectMetrics(result.metrics, expected.metrics);
    const histogram = expected.residualHistogram as { edges: number[]; counts: number[] };
    expectAllClose(result.residualHistogram.edges, histogram.edges, 'edges');
    expect(result.residualHistogram.counts).toEqual(histogram.counts);
    const sample = expected.predictedVsActual as { predicted: number[]; actual: number[] };
    expectAllClose(result.predictedVsActual.predicted, sample.predicted, 'predicted');
    expectAllClose(result.predictedVsActual.actual, sample.actual, 'actual');
  });

  it('gives a constant label the r2 scikit-learn gives (0 for imperfect predictions)', async () => {
    const { request, expected } = fixture('regression_constant');
    const result = await evaluateModel(request, small);
    expectMetrics(result.metrics, expected.metrics);
    expect(result.metrics).toMatchObject({ r2: 0 });
  });

  it('reads Parquet as it reads CSV', async () => {
    const { request, expected } = fixture('binary_probability');
    const parquet = path.join(temp, 'binary.parquet');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT * FROM read_csv('${request.table.path}')) TO '${parquet}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const result = await evaluateModel({ ...request, table: { path: parquet } }, small);
    expect(result.rows).toEqual(expected.rows);
    expectMetrics(result.metrics, expected.metrics);
  });

  it('reads a file without an extension (a stored blob) in the format given, naming it as told', async () => {
    const { request, expected } = fixture('binary_probability');
    const blob = path.join(temp, 'ab12cd');
    fs.copyFileSync(request.table.path, blob);
    const table = { path: blob, format: 'csv' as const, name: 'data/train.csv' };
    const result = await evaluateModel({ ...request, table }, small);
    expectMetrics(result.metrics, expected.metrics);
    await expect(evaluateModel({ ...request, table, label: 'nope' }, small)).rejects.toThrow(
      /label column "nope" is not in data\/train\.csv/,
    );
  });

  it('gives the same figures whatever the batch size (batches across DuckDB chunks)', async () => {
    const { request } = fixture('binary_probability');
    // 60 copies of the table: 14,400 rows, several 2,048-row chunks.
    const lines = fs.readFileSync(request.table.path, 'utf8').trimEnd().split('\n');
    const big = path.join(temp, 'big.csv');
    fs.writeFileSync(
      big,
      `${[lines[0], ...Array.from({ length: 60 }, () => lines.slice(1)).flat()].join('\n')}\n`,
    );
    const one = await evaluateModel({ ...request, table: { path: big } }, { batchRows: 1000, tempDir: temp });
    const other = await evaluateModel({ ...request, table: { path: big } }, { tempDir: temp });
    expect(one).toEqual(other);
    expect(one.metrics.example_count).toBe(60 * 235);
    expect(one.rows).toEqual({ read: 60 * 240, dropped: 60 * 5 });
  });
});

describe('evaluateModel refusals', () => {
  async function refusal(request: EvaluationRequest): Promise<WorkbenchError> {
    const err = await evaluateModel(request, small).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkbenchError);
    return err as WorkbenchError;
  }

  it('names a feature column the table lacks', async () => {
    const { request } = fixture('binary_probability');
    const err = await refusal({ ...request, featureSpec: { input: ['c', 'a', 'nope'] } });
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('"nope"');
  });

  it('names a missing label column', async () => {
    const { request } = fixture('binary_probability');
    const err = await refusal({ ...request, label: 'target' });
    expect(err.message).toMatch(/label column "target" is not in .*binary\.csv/);
  });

  it('names label values that are not among the classes', async () => {
    const { request } = fixture('multiclass');
    const err = await refusal({ ...request, classes: ['setosa', 'versicolor', 'rosa'] });
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain('"virginica"');
  });

  it('refuses a feature spec that does not fit the input shape', async () => {
    const { request } = fixture('multiclass');
    const err = await refusal({ ...request, featureSpec: { input: ['f1', 'f2', 'f3'] } });
    expect(err.message).toMatch(/Shape mismatch: .*takes 4 features.*names 3/);
  });

  it('refuses classes that do not match the probability columns', async () => {
    const { request } = fixture('multiclass');
    const err = await refusal({ ...request, classes: ['setosa', 'versicolor'] });
    expect(err.message).toMatch(/3 class probabilities but the model names 2 classes/);
  });

  it('refuses text labels when the model names no classes', async () => {
    const { request } = fixture('multiclass');
    const err = await refusal({ ...request, classes: undefined });
    expect(err.message).toMatch(/no classes/);
  });

  it('refuses a text feature column', async () => {
    const { request } = fixture('binary_probability');
    const err = await refusal({ ...request, featureSpec: { input: ['c', 'a', 'note'] } });
    expect(err.message).toContain('"note" holds VARCHAR');
  });
});

describe('evaluateModelInWorker', () => {
  it('gives the in-thread result and reports progress', async () => {
    const { request } = fixture('multiclass');
    const seen: number[] = [];
    const result = await evaluateModelInWorker(request, {
      ...small,
      progress: (p) => seen.push(p.done),
    });
    expect(result).toEqual(await evaluateModel(request, small));
    expect(seen.at(-1)).toBe(result.rows.read);
    expect(seen.length).toBeGreaterThan(2);
  });

  it('relays a refusal with its code', async () => {
    const { request } = fixture('binary_probability');
    await expect(evaluateModelInWorker({ ...request, label: 'nope' }, small)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('is cancelled by its signal', async () => {
    const { request } = fixture('binary_probability');
    const controller = new AbortController();
    const running = evaluateModelInWorker(request, { ...small, signal: controller.signal });
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
