import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEBIAN_PYTHON, pythonHas, runWholeProcess } from '../processes.ts';
import { type EvaluationBenchData, writeEvaluationBenchData } from './benchData.ts';

export { type EvaluationBenchData, writeEvaluationBenchData } from './benchData.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export interface RunFigures {
  /** As the process measured itself, from reading the table to the metrics (no start-up). */
  wallMs: number;
  /** The whole process, start-up and imports included, as its parent saw it. */
  processMs: number;
  cpuMs: number;
  peakRssMB: number;
  metrics: Record<string, unknown>;
}

export type BaselineFigures = RunFigures & { readMs: number; predictMs: number; metricsMs: number };
export type ProfileFigures = RunFigures & { phases: Record<string, { wallMs: number; cpuMs: number }> };

export interface EvaluationBenchFigures {
  rows: number;
  fileMB: number;
  /** evaluateModel in the calling thread. */
  thread: RunFigures;
  /** evaluateModelInWorker, as the app and the CLI run it. */
  worker: RunFigures;
  profile: ProfileFigures;
  /** Null when Debian's python3 with pandas and scikit-learn is not installed. */
  baseline: BaselineFigures | null;
  /** Largest relative difference between the engine's and scikit-learn's metrics. */
  agreement: number | null;
  loadAverage: number;
}

/** Whether Debian's python3 has pandas and scikit-learn (`apt-get install python3-sklearn python3-pandas`). */
export const sklearnAvailable = () => pythonHas(['pandas', 'sklearn']);

/** The baseline, whole process: pandas + scikit-learn over the bench CSV. */
export function runSklearnBaseline(data: EvaluationBenchData): Promise<BaselineFigures> {
  const coefficients = JSON.stringify({ weights: data.weights, bias: data.bias });
  return runWholeProcess(DEBIAN_PYTHON, [join(HERE, 'sklearn_baseline.py'), data.csv, coefficients]);
}

/** The engine in its own process: `thread`, `worker` or `profile` (see engineRun.ts). */
export async function runEngine<M extends 'thread' | 'worker' | 'profile'>(
  data: EvaluationBenchData,
  mode: M,
): Promise<M extends 'profile' ? ProfileFigures : RunFigures> {
  const requestFile = `${data.csv}.request.json`;
  await writeFile(requestFile, JSON.stringify(data.request));
  return runWholeProcess(process.execPath, [
    '--import',
    'tsx',
    join(HERE, 'engineRun.ts'),
    mode,
    requestFile,
  ]);
}

function agreement(a: Record<string, unknown>, b: Record<string, unknown>): number {
  let worst = 0;
  for (const [key, x] of Object.entries(b)) {
    const y = a[key];
    if (typeof x !== 'number' || typeof y !== 'number') continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), 1e-300));
  }
  return worst;
}

export async function runEvaluationBench(
  options: { rows?: number; keepData?: boolean } = {},
): Promise<EvaluationBenchFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'mlwb-evaluation-bench-'));
  try {
    const data = await writeEvaluationBenchData(dir, options.rows);
    const thread = await runEngine(data, 'thread');
    const worker = await runEngine(data, 'worker');
    const profile = await runEngine(data, 'profile');
    const baseline = (await sklearnAvailable()) ? await runSklearnBaseline(data) : null;
    return {
      rows: data.rows,
      fileMB: (await stat(data.csv)).size / 2 ** 20,
      thread,
      worker,
      profile,
      baseline,
      agreement: baseline ? agreement(thread.metrics, baseline.metrics) : null,
      loadAverage: loadavg()[0]!,
    };
  } finally {
    if (!options.keepData) await rm(dir, { recursive: true, force: true });
  }
}

function printFigures(f: EvaluationBenchFigures): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (label: string, r: RunFigures) =>
    `${label.padEnd(26)} ${s(r.wallMs).padStart(8)} ${s(r.processMs).padStart(8)} ${s(r.cpuMs).padStart(8)} ${r.peakRssMB.toFixed(0).padStart(6)} MB`;
  console.log(
    `evaluation of a logistic model, ${f.rows.toLocaleString('en')} rows × 20 features (${f.fileMB.toFixed(0)} MB CSV)`,
  );
  console.log(
    `${''.padEnd(26)} ${'wall'.padStart(8)} ${'process'.padStart(8)} ${'cpu'.padStart(8)} ${'peak RSS'.padStart(9)}`,
  );
  console.log(row('evaluateModel (thread)', f.thread));
  console.log(row('evaluateModelInWorker', f.worker));
  if (f.baseline) {
    console.log(row('pandas + scikit-learn', f.baseline));
    console.log(
      `  baseline: read_csv ${s(f.baseline.readMs)}, predict_proba ${s(f.baseline.predictMs)}, metrics and curves ${s(f.baseline.metricsMs)}`,
    );
    console.log(
      `in process: ${(f.baseline.wallMs / f.worker.wallMs).toFixed(1)}× (worker); whole engine process vs whole baseline process: ${(f.baseline.processMs / f.worker.processMs).toFixed(1)}×`,
    );
    console.log(`largest relative metric difference from scikit-learn: ${f.agreement?.toExponential(1)}`);
  } else
    console.log("pandas + scikit-learn: not run (Debian's /usr/bin/python3 lacks pandas or scikit-learn)");
  console.log('where the time goes (profile):');
  for (const [phase, t] of Object.entries(f.profile.phases))
    console.log(`  ${phase.padEnd(48)} ${s(t.wallMs).padStart(8)} wall ${s(t.cpuMs).padStart(8)} cpu`);
  console.log(
    `machine: ${cpus().length} cores, load average ${f.loadAverage.toFixed(1)} at the end of the run`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = process.argv[2] ? Number(process.argv[2]) : undefined;
  printFigures(await runEvaluationBench({ rows }));
}
