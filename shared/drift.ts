/**
 * Drift checks (DESIGN.md §7, §8 `mlwb drift`): the options a caller may set and the report every
 * adapter returns. The report is already JSON-safe: a non-finite number is one of the strings
 * "Infinity", "-Infinity", "NaN", and a value that does not apply is null (e.g. the p-value of a
 * distance). `JSON.stringify` of a report therefore loses nothing.
 */
import { z } from 'zod';

export const driftMethods = [
  'ks',
  'chisquare',
  'z',
  'wasserstein',
  'jensenshannon',
  'psi',
  'kl_div',
  'hellinger',
] as const;
export const DriftMethod = z.enum(driftMethods);
export type DriftMethod = z.infer<typeof DriftMethod>;

/** Methods whose statistic is a p-value test; the others are distances compared to a threshold. */
export const pValueMethods: readonly DriftMethod[] = ['ks', 'chisquare', 'z'];

export const ColumnType = z.enum(['numerical', 'categorical']);
export type ColumnType = z.infer<typeof ColumnType>;

/**
 * What a column holds on one side. `empty` means the column is there but every value is missing;
 * `absent` means the side has no such column.
 */
export const StorageKind = z.enum(['float', 'integer', 'boolean', 'string', 'empty', 'absent']);
export type StorageKind = z.infer<typeof StorageKind>;

const ColumnName = z.string().min(1, 'A column name cannot be empty.');
const Threshold = z.number().finite().nonnegative();

export const DriftOptions = z.object({
  /** Only these columns (default: every column of the reference). */
  columns: z.array(ColumnName).optional(),
  /** One method for every column; absent means the DESIGN.md §7 default per column. */
  method: DriftMethod.optional(),
  /** Per-column method, winning over `method`. */
  methods: z.record(ColumnName, DriftMethod).default({}),
  /** One threshold for every column; absent means the method's default. */
  threshold: Threshold.optional(),
  thresholds: z.record(ColumnName, Threshold).default({}),
  /** Dataset drift when the share of drifted columns is at least this. */
  driftShare: z.number().min(0).max(1).default(0.5),
  columnTypes: z.record(ColumnName, ColumnType).default({}),
  /** A schema warning when a column's missing share moves by at least this between sides. */
  missingShareJump: z.number().min(0).max(1).default(0.1),
});
export type DriftOptions = z.infer<typeof DriftOptions>;
export type DriftOptionsInput = z.input<typeof DriftOptions>;

export const nonFiniteStrings = ['Infinity', '-Infinity', 'NaN'] as const;
/** A number as it crosses JSON: finite, or one of the three non-finite spellings. */
export const JsonNumber = z.union([z.number(), z.enum(nonFiniteStrings)]);
export type JsonNumber = z.infer<typeof JsonNumber>;

export function toJsonNumber(x: number): JsonNumber {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

export function fromJsonNumber(x: JsonNumber): number {
  if (x === 'Infinity') return Number.POSITIVE_INFINITY;
  if (x === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (x === 'NaN') return Number.NaN;
  return x;
}

/** Deep copy with every non-finite number spelled as a string, for anything JSON-bound. */
export function jsonSafe<T>(value: T): T {
  if (typeof value === 'number') return toJsonNumber(value) as T;
  if (Array.isArray(value)) return value.map(jsonSafe) as T;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, toJsonNumber) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v);
    return out as T;
  }
  return value;
}

const SideCounts = z.object({
  reference: z.number().int().nonnegative(),
  current: z.number().int().nonnegative(),
});

/** Histogram of a numerical column over shared bin edges, for overlaid plots. */
export const HistogramDistribution = z.object({
  kind: z.literal('histogram'),
  edges: z.array(z.number()),
  reference: z.array(z.number().int().nonnegative()),
  current: z.array(z.number().int().nonnegative()),
});

/** Category counts, the most frequent first, capped; the rest summed under `other`. */
export const CategoryDistribution = z.object({
  kind: z.literal('categories'),
  categories: z.array(
    z.object({
      value: z.string(),
      reference: z.number().int().nonnegative(),
      current: z.number().int().nonnegative(),
    }),
  ),
  other: SideCounts.extend({ categories: z.number().int().nonnegative() }),
});

export const ColumnDistribution = z.discriminatedUnion('kind', [HistogramDistribution, CategoryDistribution]);
export type ColumnDistribution = z.infer<typeof ColumnDistribution>;

export const DriftColumnResult = z.object({
  column: z.string(),
  type: ColumnType,
  method: DriftMethod,
  /** Null when the column could not be tested (see `skipped`). */
  statistic: JsonNumber.nullable(),
  /** Null for distances, and when the column could not be tested. */
  pValue: JsonNumber.nullable(),
  threshold: z.number(),
  drifted: z.boolean(),
  /** Share of current rows with no value in this column. */
  missingShare: z.number(),
  referenceMissingShare: z.number(),
  /** Non-missing values that were tested, per side. */
  counts: SideCounts,
  /** Values dropped because they are not numbers in a numerical column (text, ±Infinity). */
  invalid: SideCounts,
  /** Distinct values over reference ∪ current. */
  distinct: z.number().int().nonnegative(),
  storage: z.object({ reference: StorageKind, current: StorageKind }),
  /** Categories seen in current but never in the reference (first 50), and how many in all. */
  newCategories: z.array(z.string()),
  newCategoryCount: z.number().int().nonnegative(),
  /** Why the column was not tested; null when it was. */
  skipped: z.string().nullable(),
  distribution: ColumnDistribution.nullable(),
});
export type DriftColumnResult = z.infer<typeof DriftColumnResult>;

export const SchemaChecks = z.object({
  /** In the reference, not in current. */
  missingColumns: z.array(z.string()),
  /** In current, not in the reference. */
  newColumns: z.array(z.string()),
  typeChanges: z.array(z.object({ column: z.string(), from: StorageKind, to: StorageKind })),
  newCategories: z.array(
    z.object({ column: z.string(), values: z.array(z.string()), count: z.number().int() }),
  ),
  missingShareJumps: z.array(z.object({ column: z.string(), reference: z.number(), current: z.number() })),
});
export type SchemaChecks = z.infer<typeof SchemaChecks>;

export const DriftReport = z.object({
  datasetDrift: z.boolean(),
  /** Drifted columns / tested columns (0 when none could be tested). */
  share: z.number(),
  driftShare: z.number(),
  reference: z.object({ rows: z.number().int().nonnegative() }),
  current: z.object({ rows: z.number().int().nonnegative() }),
  columns: z.array(DriftColumnResult),
  tested: z.number().int().nonnegative(),
  drifted: z.number().int().nonnegative(),
  schema: SchemaChecks,
  /** Sentences for a person: what was odd about the inputs and what was done about it. */
  warnings: z.array(z.string()),
});
export type DriftReport = z.infer<typeof DriftReport>;

/** Progress of a long drift check, in the `{ phase, done, total, message }` shape of DESIGN.md §1. */
export const DriftProgress = z.object({
  phase: z.enum(['load', 'columns', 'done']),
  done: z.number(),
  total: z.number().nullable(),
  message: z.string().optional(),
});
export type DriftProgress = z.infer<typeof DriftProgress>;
