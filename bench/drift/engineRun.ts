/**
 * One workbench drift check in a process of its own, so its peak RSS is its own: runs the default
 * check through `runDriftInWorker` (the path the app uses) and prints one JSON line of figures.
 *
 * Usage: node --import tsx bench/drift/engineRun.ts REFERENCE CURRENT
 */
import { runDriftInWorker } from '../../electron/core/drift/driftRunner.ts';

const [reference, current] = process.argv.slice(2);
if (!reference || !current) {
  console.error('usage: engineRun.ts REFERENCE CURRENT');
  process.exit(2);
}
const cpuBefore = process.cpuUsage();
const start = performance.now();
let loadedAt: number | null = null;
const report = await runDriftInWorker(
  { reference: { file: reference }, current: { file: current } },
  {
    onProgress: (p) => {
      if (p.phase === 'columns' && p.done === 0) loadedAt = performance.now();
    },
  },
);
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    wallMs,
    loadMs: loadedAt === null ? null : loadedAt - start,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    share: report.share,
    datasetDrift: report.datasetDrift,
    columns: Object.fromEntries(
      report.columns.map((c) => [
        c.column,
        { type: c.type, method: c.method, statistic: c.statistic, drifted: c.drifted },
      ]),
    ),
  }),
);
