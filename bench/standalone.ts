/**
 * Printing figures, for `npm run bench` and for a benchmark file run on its own
 * (`node --import tsx bench/…/x.ts`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './datasets/datasetBench.ts';

export function printFigures(figures: Figure[]): void {
  for (const f of figures) {
    process.stdout.write(`${f.pass ? 'PASS' : 'MISS'}  ${f.name}: ${f.value}  (target ${f.target})\n`);
  }
}

/**
 * Runs `bench` and prints its figures when the module at `moduleUrl` is the one node was started
 * with. The process is kept alive meanwhile, so a stall surfaces as a timeout error instead of a
 * silent exit.
 */
export async function runWhenMain(moduleUrl: string, bench: () => Promise<Figure[]>): Promise<void> {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  const keepAlive = setInterval(() => {}, 1000);
  try {
    printFigures(await bench());
  } finally {
    clearInterval(keepAlive);
  }
}
