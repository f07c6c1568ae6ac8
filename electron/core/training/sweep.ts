/** Sweeps: the grid of every combination of the given values, or a random sample of it. */
import type { ParamValue } from '../../../shared/training.ts';

export function expandSweep(
  sweep: Record<string, ParamValue[]>,
  opts: { randomSamples?: number; seed?: number } = {},
): Record<string, ParamValue>[] {
  let grid: Record<string, ParamValue>[] = [{}];
  for (const [key, values] of Object.entries(sweep)) {
    grid = grid.flatMap((combo) => values.map((v) => ({ ...combo, [key]: v })));
  }
  if (opts.randomSamples === undefined || opts.randomSamples >= grid.length) return grid;
  // Deterministic for a seed: the same sweep picks the same combinations.
  let s = (opts.seed ?? 1) >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const pool = [...grid];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, opts.randomSamples);
}
