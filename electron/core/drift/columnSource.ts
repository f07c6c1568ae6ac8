/**
 * What the drift engine reads, whichever the data came from (arrays in memory, or DuckDB over a
 * CSV/TSV/Parquet/JSONL file). A source answers two questions per column — counts per distinct
 * value, or the sorted numbers — so large inputs never have to be held row by row in JavaScript.
 */
import type { StorageKind } from '../../../shared/drift.ts';
import type { CategoryCounts } from '../statistics/categoryCounts.ts';

/**
 * How values of a column are compared across the two sides: as numbers (text that is not a number
 * is dropped and counted as invalid), as booleans, or as text.
 */
export type ValueDomain = 'numeric' | 'boolean' | 'text';

export interface SideCounts {
  reference: number;
  current: number;
}

export interface SortedNumbers {
  /** Finite values, ascending. */
  reference: Float64Array;
  current: Float64Array;
  /** Non-missing values that are not finite numbers. */
  invalid: SideCounts;
}

export interface DomainCounts extends CategoryCounts {
  invalid: SideCounts;
}

export interface DriftColumnSource {
  readonly name: string;
  readonly storage: { reference: StorageKind; current: StorageKind };
  /** Missing values (null, NaN) per side. */
  readonly missing: SideCounts;
  /** Counts per distinct value in `domain`; null when there are more than `limit` distinct values. */
  categoryCounts(domain: ValueDomain, limit?: number): Promise<DomainCounts | null>;
  /** The sorted numbers; valid until `release()`. */
  sortedNumbers(): Promise<SortedNumbers>;
  /** Done with this column: what it handed out may be reused for the next one. */
  release?(): void;
}

export interface DriftSide {
  rows: number;
  /** Column names in their original order. */
  columns: string[];
  storage: Map<string, StorageKind>;
}

export interface DriftDataset {
  reference: DriftSide;
  current: DriftSide;
  /** What read the data: csvScan.ts (plain CSV), DuckDB, or nothing (columns in memory). */
  readonly readBy?: 'csvScan' | 'duckdb';
  /** A column present on both sides. */
  column(name: string): DriftColumnSource;
  /** Releases what the source holds (a DuckDB instance, temporary tables). */
  close(): Promise<void>;
}
