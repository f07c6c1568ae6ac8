/**
 * Stored drift reports and presets (issue 4): what a check was run on, with which options, and
 * its report. Inputs are identified by content, so a report says exactly what it compared even
 * after the files move or change.
 */
import { z } from 'zod';
import { ColumnType, DriftMethod, DriftOptions, DriftReport } from './drift.ts';

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
  kind: z.enum(['file', 'dataset', 'upload']),
  /** What the user named: the path, `dataset:…`, or the dropped file's name. */
  label: z.string(),
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  format: z.string(),
  dataset: z.string().optional(),
  version: z.number().int().optional(),
  path: z.string().optional(),
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
