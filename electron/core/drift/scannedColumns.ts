/**
 * A drift dataset over two CSV files read by csvScan.ts: what the engine asks of a column is
 * answered from the scan when the column compares each side in its own kind (numbers as numbers,
 * text as text, booleans as booleans), the usual case. A column compared across kinds (numbers
 * against text, a type override) is answered by DuckDB's tables, loaded the first time one is
 * asked for: its casts are DuckDB's to make.
 */
import type { StorageKind } from '../../../shared/drift.ts';
import { type CategoryValue, mergeCounts } from '../statistics/categoryCounts.ts';
import { type DecimalCounts, decimalValue, expandDecimalCounts } from '../statistics/decimalSort.ts';
import { ArrayPool } from './arrayPool.ts';
import type {
  DomainCounts,
  DriftColumnSource,
  DriftDataset,
  DriftSide,
  SortedNumbers,
  ValueDomain,
} from './columnSource.ts';
import type { ScannedNumbers } from './csvNumbers.ts';
import type { ScannedColumn, ScannedCsv } from './csvScan.ts';

export interface ScannedSide {
  scan: ScannedCsv;
  /** Column names and their storage kinds (from DuckDB's types), in file order. */
  names: string[];
  kinds: StorageKind[];
}

const NONE = { reference: 0, current: 0 };

/** The domain a side's values are read in as they are. */
function ownDomain(kind: StorageKind): ValueDomain | null {
  if (kind === 'float' || kind === 'integer') return 'numeric';
  if (kind === 'boolean') return 'boolean';
  if (kind === 'string') return 'text';
  return null; // empty: no values to read in any domain
}

function side(
  s: ScannedSide,
): DriftSide & { column: Map<string, { kind: StorageKind; data: ScannedColumn }> } {
  const storage = new Map<string, StorageKind>();
  const column = new Map<string, { kind: StorageKind; data: ScannedColumn }>();
  s.names.forEach((name, k) => {
    const data = s.scan.columns[k]!;
    const kind: StorageKind = data.missing === s.scan.rows ? 'empty' : s.kinds[k]!;
    storage.set(name, kind);
    column.set(name, { kind, data });
  });
  return { rows: s.scan.rows, columns: s.names, storage, column };
}

/** Counts per number; null past `limit` distinct. */
function numberCounts(numbers: ScannedNumbers, limit?: number): Map<CategoryValue, number> | null {
  const counts = new Map<CategoryValue, number>();
  if (!(numbers instanceof Float64Array)) {
    for (let i = 0; i < numbers.counts.length; i++) {
      if (numbers.counts[i] === 0) continue;
      counts.set(decimalValue(numbers, i), numbers.counts[i]!);
      if (limit !== undefined && counts.size > limit) return null;
    }
    return counts;
  }
  const sorted = numbers;
  for (let i = 0; i < sorted.length; ) {
    const x = sorted[i]!;
    let j = i + 1;
    while (j < sorted.length && sorted[j] === x) j++;
    counts.set(x, j - i);
    if (limit !== undefined && counts.size > limit) return null;
    i = j;
  }
  return counts;
}

export function scannedDataset(
  reference: ScannedSide,
  current: ScannedSide,
  fallback: () => Promise<DriftDataset>,
  close: () => Promise<void>,
): DriftDataset {
  const sides = { reference: side(reference), current: side(current) };
  // Counted numbers are written out for the column being tested, into arrays reused across columns,
  // all of the longer side's length so that any of them fits any column.
  const arrays = new ArrayPool();
  const length = Math.max(sides.reference.rows, sides.current.rows);
  return {
    reference: sides.reference,
    current: sides.current,
    readBy: 'csvScan',
    close,
    column(name: string): DriftColumnSource {
      const ref = sides.reference.column.get(name)!;
      const cur = sides.current.column.get(name)!;
      const fits = (domain: ValueDomain) =>
        [ref.kind, cur.kind].every((kind) => ownDomain(kind) === null || ownDomain(kind) === domain);
      let other: DriftColumnSource | undefined;
      const taken: Float64Array[] = [];
      const expand = (counted: DecimalCounts) => {
        const out = expandDecimalCounts(counted, arrays.take(length).subarray(0, counted.total));
        taken.push(out);
        return out;
      };
      const viaDuckDb = async () => {
        other ??= (await fallback()).column(name);
        return other;
      };
      return {
        name,
        storage: { reference: ref.kind, current: cur.kind },
        missing: { reference: ref.data.missing, current: cur.data.missing },

        async categoryCounts(domain: ValueDomain, limit?: number): Promise<DomainCounts | null> {
          if (!fits(domain)) return (await viaDuckDb()).categoryCounts(domain, limit);
          const counts = (c: ScannedColumn) =>
            c.numbers
              ? numberCounts(c.numbers, limit)
              : new Map<CategoryValue, number>(c.counts ?? new Map<CategoryValue, number>());
          const r = ref.kind === 'empty' ? new Map<CategoryValue, number>() : counts(ref.data);
          const c = cur.kind === 'empty' ? new Map<CategoryValue, number>() : counts(cur.data);
          if (!r || !c) return null;
          if (limit !== undefined && (r.size > limit || c.size > limit)) return null;
          const merged = mergeCounts(r, c);
          if (limit !== undefined && merged.values.length > limit) return null;
          return { ...merged, invalid: NONE };
        },

        async sortedNumbers(): Promise<SortedNumbers> {
          if (!fits('numeric')) return (await viaDuckDb()).sortedNumbers();
          const numbers = (c: { kind: StorageKind; data: ScannedColumn }) => {
            const n = c.data.numbers;
            if (c.kind === 'empty' || !n) return new Float64Array(0);
            return n instanceof Float64Array ? n : expand(n);
          };
          return { reference: numbers(ref), current: numbers(cur), invalid: NONE };
        },

        release() {
          for (const a of taken.splice(0)) arrays.give(a);
          other?.release?.();
        },
      };
    },
  };
}
