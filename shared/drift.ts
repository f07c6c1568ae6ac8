/**
 * Drift checks (docs/architecture.md §9; `mlwb drift` in §6): the options a caller may set, the
 * report every adapter returns, and what is kept of a check: its inputs, options and report, and
 * saved presets. The report is already JSON-safe: a non-finite number is one of the strings
 * "Infinity", "-Infinity", "NaN", and a value that does not apply is null (e.g. the p-value of a
 * distance). `JSON.stringify` of a report therefore loses nothing. Inputs are identified by
 * content, so a stored report says exactly what it compared even after the files move or change.
 */
import * as z from 'zod';
import { driftMethods } from './driftMethods.ts';

export { driftMethods };

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
  /** One method for every column; absent means the default per column (docs/architecture.md §9). */
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

/**
 * Progress of a long drift check, in the `{ phase, done, total, message }` shape of every long
 * operation (docs/architecture.md §4).
 */
export const DriftProgress = z.object({
  phase: z.enum(['load', 'columns', 'done']),
  done: z.number(),
  total: z.number().nullable(),
  message: z.string().optional(),
});
export type DriftProgress = z.infer<typeof DriftProgress>;

/**
 * Where data for a drift check comes from: a file path on the machine running core, a dataset
 * version `dataset:NAME[@V][:PATH]`, or (browser mode) a file dropped on the window and staged as
 * an upload.
 */
export const DriftSource = z.union([
  z.string().min(1, 'Name a file or dataset:NAME[@V][:PATH].'),
  z.object({ upload: z.string().min(1), name: z.string().optional() }),
]);
export type DriftSource = z.infer<typeof DriftSource>;

/**
 * Options exactly as a user gave them, without defaults filled in, so a preset and explicit flags
 * can be layered (explicit wins) before DriftOptions applies the defaults.
 */
export const DriftOptionsPatch = z.object({
  columns: z.array(z.string().min(1)).optional(),
  method: DriftMethod.optional(),
  methods: z.record(z.string().min(1), DriftMethod).optional(),
  threshold: z.number().finite().nonnegative().optional(),
  thresholds: z.record(z.string().min(1), z.number().finite().nonnegative()).optional(),
  driftShare: z.number().min(0).max(1).optional(),
  columnTypes: z.record(z.string().min(1), ColumnType).optional(),
  missingShareJump: z.number().min(0).max(1).optional(),
});
export type DriftOptionsPatch = z.infer<typeof DriftOptionsPatch>;

/** The preset first, then the explicit options; per-column maps merge key by key. */
export function layerOptions(base: DriftOptionsPatch, over: DriftOptionsPatch): DriftOptionsPatch {
  return {
    ...base,
    ...over,
    methods: { ...base.methods, ...over.methods },
    thresholds: { ...base.thresholds, ...over.thresholds },
    columnTypes: { ...base.columnTypes, ...over.columnTypes },
  };
}

export const DriftInputIdentity = z.object({
  kind: z.enum(['file', 'dataset', 'upload', 'deployment']),
  /** What the user named: the path, `dataset:…`, or the dropped file's name. */
  label: z.string(),
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  format: z.string(),
  dataset: z.string().optional(),
  version: z.number().int().optional(),
  path: z.string().optional(),
  /** A deployment's traffic: its name, and the window (ms since the epoch) its rows were logged in. */
  deployment: z.string().optional(),
  from: z.number().optional(),
  to: z.number().optional(),
});
export type DriftInputIdentity = z.infer<typeof DriftInputIdentity>;

export const DriftReportSummary = z.object({
  id: z.string(),
  createdAt: z.number(),
  reference: DriftInputIdentity,
  current: DriftInputIdentity,
  preset: z.string().nullable(),
  datasetDrift: z.boolean(),
  share: z.number(),
  drifted: z.number().int(),
  tested: z.number().int(),
});
export type DriftReportSummary = z.infer<typeof DriftReportSummary>;

export const DriftReportRecord = DriftReportSummary.extend({
  options: DriftOptions,
  report: DriftReport,
});
export type DriftReportRecord = z.infer<typeof DriftReportRecord>;

export const DriftCheckParams = z.object({
  reference: DriftSource,
  current: DriftSource,
  options: DriftOptionsPatch.default({}),
  /** A saved preset whose options apply first; explicit options win over it. */
  preset: z.string().optional(),
  /** Store the report (default). The CLI's --no-save turns it off. */
  save: z.boolean().default(true),
});

export const PresetName = z
  .string()
  .min(1, 'A preset name cannot be empty.')
  .max(100, 'A preset name has at most 100 characters.')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'A preset name cannot contain control characters.');

export const DriftPreset = z.object({
  name: PresetName,
  options: DriftOptionsPatch,
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type DriftPreset = z.infer<typeof DriftPreset>;

/** Two reports side by side, column by column. */
export const DriftComparison = z.object({
  a: DriftReportSummary,
  b: DriftReportSummary,
  columns: z.array(
    z.object({
      column: z.string(),
      a: z
        .object({ method: z.string(), statistic: z.unknown(), pValue: z.unknown(), drifted: z.boolean() })
        .nullable(),
      b: z
        .object({ method: z.string(), statistic: z.unknown(), pValue: z.unknown(), drifted: z.boolean() })
        .nullable(),
    }),
  ),
});
export type DriftComparison = z.infer<typeof DriftComparison>;
