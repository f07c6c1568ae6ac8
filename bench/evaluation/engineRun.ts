/**
 * One timed evaluation in its own process (so neither side inherits the other's memory), printing
 * one JSON line: `thread` runs evaluateModel in this thread, `worker` through its worker thread as
 * the app does, `profile` runs the same steps one by one to show where the time goes.
 *
 * Usage: node --import tsx engineRun.ts thread|worker|profile REQUEST.json
 */
import { readFileSync } from 'node:fs';
import { ClassificationAccumulator } from '../../electron/core/evaluation/classificationMetrics.ts';
import { evaluateModel } from '../../electron/core/evaluation/evaluateModel.ts';
import { evaluateModelInWorker } from '../../electron/core/evaluation/evaluationRunner.ts';
import { EvaluationTable, type LabelMapping } from '../../electron/core/evaluation/evaluationTable.ts';
import { OnnxModel, planInputs } from '../../electron/core/evaluation/onnxModel.ts';
import type { EvaluationRequest } from '../../shared/evaluation.ts';

const [mode, requestFile] = process.argv.slice(2);
const request = JSON.parse(readFileSync(requestFile!, 'utf8')) as EvaluationRequest;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The steps of evaluateModel for this benchmark's model, each timed. */
async function profile(): Promise<{
  phases: Record<string, { wallMs: number; cpuMs: number }>;
  metrics: unknown;
}> {
  const phases: Record<string, { wallMs: number; cpuMs: number }> = {};
  let t = performance.now();
  let u = cpuMs();
  // CPU time as well as wall time: on a shared machine the wall clock mostly measures the others.
  const lap = (name: string) => {
    const now = performance.now();
    const cpu = cpuMs();
    phases[name] ??= { wallMs: 0, cpuMs: 0 };
    const phase = phases[name];
    phase.wallMs += now - t;
    phase.cpuMs += cpu - u;
    t = now;
    u = cpu;
  };
  await import('@duckdb/node-api');
  lap('load DuckDB');
  await import('onnxruntime-node');
  lap('load onnxruntime');
  const model = await OnnxModel.load(request.modelPath);
  const { plans, columns } = planInputs(request.inputs, request.featureSpec, model.inputNames);
  lap('open the model');
  const table = await EvaluationTable.open(request.table);
  const mapping: LabelMapping = { kind: 'indices', limit: 2 };
  const { read } = await table.load(columns, request.label, mapping, 'FLOAT');
  lap('parse the CSV into DuckDB (materialized result)');
  const acc = new ClassificationAccumulator('class-probabilities', 2, undefined, read, 'float32');
  for await (const batch of table.batches(65_536, mapping)) {
    lap('copy batches out of DuckDB');
    const out = await model.run(plans, batch.features, batch.rows, 'probabilities');
    lap('build tensors + onnxruntime');
    acc.addProbabilities(batch.label as Int32Array, out.data as Float32Array, 2);
    lap('accumulate metrics');
  }
  const result = acc.finish();
  lap('finish metrics (sorts, curves)');
  await table.close();
  await model.release();
  lap('close');
  return { phases, metrics: result.metrics };
}

const started = performance.now();
const cpuStarted = cpuMs();
let output: Record<string, unknown>;
if (mode === 'profile') output = await profile();
else {
  const result = mode === 'worker' ? await evaluateModelInWorker(request) : await evaluateModel(request);
  output = { metrics: result.metrics };
}
process.stdout.write(
  `${JSON.stringify({
    ...output,
    wallMs: performance.now() - started,
    // Worker threads count in the process's CPU time, so this is the whole evaluation's.
    cpuMs: cpuMs() - cpuStarted,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
