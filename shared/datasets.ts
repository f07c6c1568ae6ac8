/**
 * Domain types of dataset versioning (docs/architecture.md §3 and §7), shared by core, server, CLI
 * and renderer.
 */
import * as z from 'zod';

export const DATASET_NAME_MAX = 200;

export const DatasetName = z
  .string()
  .min(1, 'A dataset name cannot be empty.')
  .max(DATASET_NAME_MAX, `A dataset name has at most ${DATASET_NAME_MAX} characters.`)
  .refine((s) => !/[\\/]/.test(s), 'A dataset name cannot contain / or \\; use - or _ instead.')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'A dataset name cannot contain control characters.')
  .refine((s) => s.trim() === s, 'A dataset name cannot start or end with spaces.')
  .refine((s) => s !== '.' && s !== '..', 'A dataset name cannot be "." or "..".')
  .refine((s) => !s.includes('@'), 'A dataset name cannot contain @ (it separates the name from a version).');

/**
 * The name of a dataset being created. Invisible and direction-changing characters (a zero-width
 * space, U+202E…) make two names look alike or one read backwards, and lone surrogates are not
 * text at all. The joiners U+200C and U+200D stay allowed: Persian, Indic scripts and emoji
 * sequences need them. Only new names are held to this, so datasets made before it stay reachable.
 */
export const NewDatasetName = DatasetName.refine(
  (s) => !/[\p{Cc}\p{Cs}\p{Co}\p{Zl}\p{Zp}]|(?![\u200C\u200D])\p{Cf}/u.test(s),
  'A dataset name cannot contain invisible or formatting characters (such as a zero-width space or a right-to-left override).',
);

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ManifestEntry = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: Sha256,
  mode: z.number().int(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const DatasetSummary = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.number(),
  versions: z.number().int(),
  latest: z.number().int().nullable(),
  latestAt: z.number().nullable(),
  files: z.number().int(),
  bytes: z.number().int(),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

export const VersionSummary = z.object({
  dataset: z.string(),
  version: z.number().int(),
  digest: Sha256,
  message: z.string(),
  createdAt: z.number(),
  files: z.number().int(),
  bytes: z.number().int(),
  newBytes: z.number().int(),
});
export type VersionSummary = z.infer<typeof VersionSummary>;

export const VersionDetail = VersionSummary.extend({ entries: z.array(ManifestEntry) });
export type VersionDetail = z.infer<typeof VersionDetail>;

export const AddResult = z.object({
  dataset: z.string(),
  version: z.number().int(),
  created: z.boolean(),
  digest: Sha256,
  files: z.number().int(),
  bytes: z.number().int(),
  newBytes: z.number().int(),
  /** What was skipped and why (symlinks leaving the folder, loops, special files). */
  warnings: z.array(z.string()).default([]),
});
export type AddResult = z.infer<typeof AddResult>;

/** Numbers that may be non-finite travel as the strings of the CLI contract (docs/architecture.md §6). */
export const JsonNumber = z.union([z.number(), z.enum(['Infinity', '-Infinity', 'NaN'])]);

export const ColumnProfile = z.object({
  name: z.string(),
  type: z.string(),
  missing: z.number().int(),
  distinct: z.number().int(),
  min: z.union([z.number(), z.string()]).nullable(),
  max: z.union([z.number(), z.string()]).nullable(),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  quantiles: z
    .object({ p05: z.number(), p25: z.number(), p50: z.number(), p75: z.number(), p95: z.number() })
    .nullable(),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) }).nullable(),
  top: z.array(
    z.object({ value: z.union([z.string(), z.number(), z.boolean()]).nullable(), count: z.number().int() }),
  ),
});
export type ColumnProfile = z.infer<typeof ColumnProfile>;

export const TableProfile = z.object({
  path: z.string(),
  format: z.enum(['csv', 'tsv', 'parquet', 'jsonl']),
  rows: z.number().int().nullable(),
  columns: z.array(ColumnProfile),
  /** Set when the file could not be read as a table: the version still exists, the file is kept. */
  error: z.string().optional(),
  warnings: z.array(z.string()).default([]),
});
export type TableProfile = z.infer<typeof TableProfile>;

export const ProfileResult = z.object({
  dataset: z.string(),
  version: z.number().int(),
  tables: z.array(TableProfile),
});
export type ProfileResult = z.infer<typeof ProfileResult>;

export const TableDiff = z.object({
  path: z.string(),
  schema: z.object({
    addedColumns: z.array(z.string()),
    removedColumns: z.array(z.string()),
    typeChanges: z.array(z.object({ column: z.string(), from: z.string(), to: z.string() })),
  }),
  rows: z.object({
    added: z.number().int(),
    removed: z.number().int(),
    changed: z.number().int().nullable(),
    unchanged: z.number().int().nullable(),
  }),
  /** A few example rows, so a user sees what changed, not just how many. */
  samples: z
    .object({
      added: z.array(z.record(z.string(), z.unknown())),
      removed: z.array(z.record(z.string(), z.unknown())),
    })
    .optional(),
  error: z.string().optional(),
});
export type TableDiff = z.infer<typeof TableDiff>;

export const DiffResult = z.object({
  files: z.object({
    added: z.array(z.string()),
    removed: z.array(z.string()),
    modified: z.array(z.string()),
    unchanged: z.number().int(),
  }),
  tables: z.array(TableDiff),
});
export type DiffResult = z.infer<typeof DiffResult>;

export const ExportResult = z.object({
  dir: z.string(),
  files: z.number().int(),
  bytes: z.number().int(),
  method: z.object({ reflink: z.number().int(), hardlink: z.number().int(), copy: z.number().int() }),
});
export type ExportResult = z.infer<typeof ExportResult>;

export const VerifyResult = z.object({
  objects: z.number().int(),
  corrupt: z.array(z.string()),
  missing: z.array(z.string()),
  /** For each damaged digest, what uses it ("sales v2: data/a.csv", "recipe code snapshot …"), a few at most. */
  usedBy: z.record(z.string(), z.array(z.string())).default({}),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

export const GcResult = z.object({ removed: z.number().int(), freedBytes: z.number().int() });
export type GcResult = z.infer<typeof GcResult>;

export const TABULAR_EXTENSIONS = ['.csv', '.tsv', '.parquet', '.jsonl', '.ndjson'] as const;

/** A page of a dataset table's rows (the try-it form fills its fields from one). */
export const TableRows = z.object({
  path: z.string(),
  columns: z.array(z.string()),
  /** Row-wise, by column; values as JSON has them (numbers, strings, booleans, null). */
  rows: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]))),
  offset: z.number().int(),
  /** Rows in the table. */
  total: z.number().int(),
});
export type TableRows = z.infer<typeof TableRows>;
