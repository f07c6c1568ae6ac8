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

/** The middle value (the upper of the two middles for an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A seeded generator of numbers in [0, 1): the same data on every run of a bench. */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
