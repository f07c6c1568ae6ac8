/**
 * The evaluation benchmark's inputs: a CSV of `rows` × 20 features plus a 0/1 label drawn from a
 * known logistic model, and that model as ONNX (the example classifier recipe's graph). DuckDB
 * writes the CSV seeded and single-threaded, so the file is the same every run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { EvaluationRequest } from '../../shared/evaluation.ts';
import { logisticOnnx } from './logisticOnnx.ts';

export const FEATURES = 20;

export interface EvaluationBenchData {
  rows: number;
  csv: string;
  model: string;
  /** The model's coefficients, for the scikit-learn baseline. */
  weights: number[];
  bias: number;
  /** The request the engine is given (what the registry will pass for this model). */
  request: EvaluationRequest;
}

/** Fixed, varied coefficients: some features matter, some barely. */
export const benchWeights = Array.from(
  { length: FEATURES },
  (_, j) => Math.round(Math.sin(j + 1) * 1500) / 1000,
);
export const benchBias = -0.2;

/** N(0, 1) by Box–Muller from DuckDB's uniform random(). */
const normal = '(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))';

export async function writeEvaluationBenchData(dir: string, rows = 1_000_000): Promise<EvaluationBenchData> {
  const names = Array.from({ length: FEATURES }, (_, j) => `f${j}`);
  const csv = join(dir, 'evaluation.csv');
  const model = join(dir, 'logistic.onnx');
  await writeFile(model, logisticOnnx(benchWeights, benchBias));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const db = await instance.connect();
  try {
    await db.run('SELECT setseed(0.42)');
    const logit = `${names.map((n, j) => `${benchWeights[j]} * ${n}`).join(' + ')} + ${benchBias}`;
    await db.run(
      `COPY (WITH x AS MATERIALIZED (SELECT ${names.map((n) => `round(${normal}, 4) AS ${n}`).join(', ')} FROM range(${rows}))
             SELECT *, CAST(random() < 1 / (1 + exp(-(${logit}))) AS INTEGER) AS label FROM x)
       TO '${csv}' (HEADER, DELIMITER ',')`,
    );
  } finally {
    db.closeSync();
    instance.closeSync();
  }
  return {
    rows,
    csv,
    model,
    weights: benchWeights,
    bias: benchBias,
    request: {
      modelPath: model,
      inputs: [{ name: 'input', type: 'float32', shape: [-1, FEATURES] }],
      outputs: [
        { name: 'probabilities', type: 'float32', shape: [-1, 2] },
        { name: 'label', type: 'int64', shape: [-1] },
      ],
      featureSpec: { input: names },
      table: { path: csv },
      label: 'label',
    },
  };
}
