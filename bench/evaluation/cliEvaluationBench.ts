/**
 * `mlwb model evaluate` as a user runs it — the whole process, through bin/mlwb.js — against the
 * whole pandas + scikit-learn process (sklearn_baseline.py) on the same 1,000,000 × 20 CSV, side
 * by side and alternated in one run (issue 11: ≥ 1.5× faster). The model is registered from a run
 * made as an MLflow client makes one, and the CSV added as a dataset, before anything is timed;
 * each side runs once untimed first, so both read a warm page cache.
 */

import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApi } from '../../electron/core/api.ts';
import { runDirs } from '../../electron/core/training/containerRun.ts';
import { openWorkbench } from '../../electron/core/workbench.ts';
import type { Figure } from '../datasets/datasetBench.ts';
import { runWholeProcess } from '../processes.ts';
import { median } from '../standalone.ts';
import { FEATURES, writeEvaluationBenchData } from './benchData.ts';
import { runSklearnBaseline, sklearnAvailable } from './evaluationBench.ts';

const BIN = resolve('bin/mlwb.js');
const ROUNDS = 3;

export async function runCliEvaluationBench(rows = 1_000_000): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlwb-eval-cli-bench-'));
  try {
    const data = await writeEvaluationBenchData(dir, rows);
    const home = join(dir, 'home');
    const table = join(dir, 'table');
    mkdirSync(table);
    copyFileSync(data.csv, join(table, 'evaluation.csv'));
    const wb = await openWorkbench(home);
    try {
      const api = createApi(wb);
      const run = wb.tracking.createRun({
        experimentId: wb.tracking.createExperiment('bench'),
        status: 'FINISHED',
      });
      mkdirSync(join(runDirs(home, run).output, 'model'), { recursive: true });
      copyFileSync(data.model, join(runDirs(home, run).output, 'model', 'model.onnx'));
      await api.call('datasets.add', { name: 'eval-bench', paths: [table] });
      await api.call('models.register', {
        runId: run,
        name: 'bench',
        features: Array.from({ length: FEATURES }, (_, j) => `f${j}`),
      });
    } finally {
      await wb.close();
    }
    const args = [
      BIN,
      '--home',
      home,
      'model',
      'evaluate',
      'bench@1',
      '--dataset',
      'eval-bench',
      '--label',
      'label',
      '--json',
    ];
    // `--json` prints one document over several lines.
    const cli = () =>
      runWholeProcess<{ metrics: Record<string, unknown> }>(process.execPath, args, { json: 'whole' });
    const haveBaseline = await sklearnAvailable();
    await cli();
    if (haveBaseline) await runSklearnBaseline(data);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      ours.push((await cli()).processMs);
      if (haveBaseline) theirs.push((await runSklearnBaseline(data)).processMs);
    }
    const mine = median(ours);
    const figures: Figure[] = [
      {
        name: `whole \`mlwb model evaluate\` of a logistic model, ${rows.toLocaleString('en')} × ${FEATURES} CSV (median of ${ROUNDS}, load average ${loadavg()[0]!.toFixed(1)})`,
        value: `${(mine / 1000).toFixed(2)} s (runs: ${ours.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`,
        target: 'reported',
        pass: true,
      },
    ];
    if (haveBaseline) {
      const base = median(theirs);
      figures.push({
        name: 'the same against the whole pandas read_csv + scikit-learn predict_proba + metrics process',
        value: `pandas+scikit-learn ${(base / 1000).toFixed(2)} s (runs: ${theirs.map((x) => (x / 1000).toFixed(2)).join(', ')} s): mlwb ${(base / mine).toFixed(2)}× faster`,
        target: '≥ 1.5× faster',
        pass: base / mine >= 1.5,
      });
    } else {
      figures.push({
        name: 'pandas + scikit-learn baseline',
        value: 'not installed (apt-get install python3-sklearn python3-pandas)',
        target: '≥ 1.5× faster',
        pass: false,
      });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
