/**
 * `npm run bench [-- GROUP…]`: runs the benchmarks and prints each figure with its target.
 * Groups: ingest, small, profile, huge (datasets), drift.
 */
import { type Figure, runDatasetBench } from './datasets/datasetBench.ts';

const groups = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const datasetGroups = ['ingest', 'small', 'profile', 'huge'];
const want = (g: string) =>
  groups.length === 0 ||
  groups.includes(g) ||
  (g === 'datasets' && groups.some((x) => datasetGroups.includes(x)));

const figures: Figure[] = [];
if (want('datasets') || groups.includes('datasets')) {
  const only = groups.filter((g) => datasetGroups.includes(g));
  figures.push(...(await runDatasetBench(only)));
}
if (want('drift')) {
  const { runDriftBench } = await import('./drift/driftBench.ts');
  const r = (await runDriftBench()) as unknown;
  process.stdout.write(`drift: ${JSON.stringify(r)}\n`);
}
for (const f of figures) {
  process.stdout.write(`${f.pass ? 'PASS' : 'MISS'}  ${f.name}: ${f.value}  (target ${f.target})\n`);
}
