/**
 * Per-column data for the overlaid reference/current plots: a shared-edge histogram for numerical
 * columns, the most frequent categories for categorical ones. Sized for a chart, not for
 * statistics: at most 50 bins or 50 categories, the rest summed.
 */
import type { ColumnDistribution } from '../../../shared/drift.ts';
import { binEdges, equalWidthBinCount, histogramCounts } from './binning.ts';
import type { CategoryCounts, CategoryValue } from './categoryCounts.ts';

export const MAX_PLOT_BINS = 50;
export const MAX_PLOT_CATEGORIES = 50;

/** Histogram of two ascending-sorted samples over min..max of both (Sturges bins, capped). */
export function histogramDistribution(
  reference: Float64Array,
  current: Float64Array,
  edges?: Float64Array,
): ColumnDistribution | null {
  if (reference.length + current.length === 0) return null;
  let shared = edges;
  if (!shared) {
    const lo = Math.min(reference[0] ?? Number.POSITIVE_INFINITY, current[0] ?? Number.POSITIVE_INFINITY);
    const hi = Math.max(
      reference[reference.length - 1] ?? Number.NEGATIVE_INFINITY,
      current[current.length - 1] ?? Number.NEGATIVE_INFINITY,
    );
    // A constant column still gets one visible bar, centred on its value (numpy does the same).
    shared =
      lo === hi
        ? binEdges(lo - 0.5, hi + 0.5, 1)
        : binEdges(lo, hi, Math.min(MAX_PLOT_BINS, equalWidthBinCount(reference.length, current.length)));
  }
  return {
    kind: 'histogram',
    edges: Array.from(shared),
    reference: Array.from(histogramCounts(reference, shared)),
    current: Array.from(histogramCounts(current, shared)),
  };
}

export function categoryLabel(value: CategoryValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** The most frequent categories over both sides; ties keep value order. */
export function categoryDistribution(counts: CategoryCounts): ColumnDistribution {
  const order = counts.values.map((_, k) => k);
  order.sort(
    (a, b) =>
      counts.reference[b]! + counts.current[b]! - (counts.reference[a]! + counts.current[a]!) || a - b,
  );
  const shown = order.slice(0, MAX_PLOT_CATEGORIES);
  const other = { reference: 0, current: 0, categories: 0 };
  for (const k of order.slice(MAX_PLOT_CATEGORIES)) {
    other.reference += counts.reference[k]!;
    other.current += counts.current[k]!;
    other.categories += 1;
  }
  return {
    kind: 'categories',
    categories: shown.map((k) => ({
      value: categoryLabel(counts.values[k]!),
      reference: counts.reference[k]!,
      current: counts.current[k]!,
    })),
    other,
  };
}
