/**
 * `npm run bench [-- GROUP…]`: runs the benchmarks and prints each figure with its target.
 * Groups: ingest, small, profile, huge (datasets), drift, training, tracking, flood, runstable, compare, cli,
 * monitoring,
 * evaluate, serving. No group:
 * all of them.
 */
import { type Figure, runDatasetBench } from './datasets/datasetBench.ts';
import { printFigures } from './standalone.ts';

const datasetGroups = ['ingest', 'small', 'profile', 'huge'];
const groups = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (g: string) => groups.length === 0 || groups.includes(g);

// Keeps the process alive while benchmarks await work that holds no handle of its own, so a
// stall surfaces as a timeout error instead of a silent exit.
const keepAlive = setInterval(() => {}, 1000);
const figures: Figure[] = [];
const only = groups.filter((g) => datasetGroups.includes(g));
if (groups.length === 0 || only.length > 0 || groups.includes('datasets')) {
  figures.push(...(await runDatasetBench(only)));
}
if (want('drift')) {
  const { runDriftBench } = await import('./drift/driftBench.ts');
  const r = await runDriftBench();
  const speedup = r.speedup
    ? `${r.speedup.wall.toFixed(1)}× by wall clock, ${r.speedup.cpu?.toFixed(1) ?? '?'}× by CPU`
    : 'pandas+SciPy not installed';
  figures.push({
    name: `drift check, ${r.rows.toLocaleString('en')} rows × ${r.columns} columns per side (${r.fileMB.reference.toFixed(0)} + ${r.fileMB.current.toFixed(0)} MB CSV), in process`,
    value: `${(r.workbench.wallMs / 1000).toFixed(2)} s, peak RSS ${r.workbench.peakRssMB.toFixed(0)} MB (load average ${r.loadAverage.toFixed(1)})`,
    target: '< 5 s',
    pass: r.workbench.wallMs < 5000,
  });
  figures.push({
    name: 'the same through the whole `mlwb drift --json` process',
    value: `${(r.cli.processMs / 1000).toFixed(2)} s`,
    target: '< 5 s',
    pass: r.cli.processMs < 5000,
  });
  if (r.pandas && r.speedup && r.cliSpeedup !== null) {
    figures.push({
      name: 'drift check vs pandas + SciPy on the same files',
      value: `pandas ${(r.pandas.wallMs / 1000).toFixed(2)} s in process, ${(r.pandas.processMs / 1000).toFixed(2)} s whole; workbench ${speedup}; whole \`mlwb drift\` ${r.cliSpeedup.toFixed(1)}× faster than the whole pandas_check.py`,
      target: '≥ 3× faster',
      pass: r.speedup.wall >= 3 && r.cliSpeedup >= 3,
    });
  }
}
if (want('training')) {
  const { runTrainingBench } = await import('./training/trainingBench.ts');
  figures.push(...(await runTrainingBench()));
}
if (want('tracking')) {
  const { runTrackingBench } = await import('./tracking/trackingBench.ts');
  figures.push(...(await runTrackingBench()));
}
if (want('flood')) {
  const { runLogFloodBench } = await import('./training/logFloodBench.ts');
  figures.push(...(await runLogFloodBench()));
}
if (want('cli')) {
  const { runCliBench } = await import('./cli/cliBench.ts');
  // MLWB_BENCH_CLI=startup,ingest,drift picks parts (all by default).
  figures.push(...(await runCliBench(process.env.MLWB_BENCH_CLI?.split(','))));
}
if (want('evaluate')) {
  const { runCliEvaluationBench } = await import('./evaluation/cliEvaluationBench.ts');
  figures.push(...(await runCliEvaluationBench()));
}
if (want('serving')) {
  const { runServingBench } = await import('./serving/servingBench.ts');
  figures.push(...(await runServingBench()));
}
if (want('runstable')) {
  const { runRunsTableBench } = await import('./training/runsTableBench.ts');
  figures.push(...(await runRunsTableBench()));
}
if (want('monitoring')) {
  const { runMonitoringBench } = await import('./monitoring/monitorBench.ts');
  figures.push(...(await runMonitoringBench()));
}
if (want('compare')) {
  const { runCompareBench } = await import('./tracking/compareBench.ts');
  figures.push(...(await runCompareBench()));
}
printFigures(figures);
clearInterval(keepAlive);
