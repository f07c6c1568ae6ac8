/**
 * Experiments, runs, params, tags and metrics (docs/architecture.md §5): shared by the run launcher, the
 * MLflow-compatible REST API, the CLI and the renderer.
 */
import * as z from 'zod';
import { JsonNumber } from './datasets.ts';

export const RunStatus = z.enum(['QUEUED', 'RUNNING', 'FINISHED', 'FAILED', 'KILLED', 'LOST']);
export type RunStatus = z.infer<typeof RunStatus>;
export const terminalStatuses: readonly RunStatus[] = ['FINISHED', 'FAILED', 'KILLED', 'LOST'];

/** MLflow's limits, kept so scripts that work against MLflow work here and vice versa. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  searchMaxResults: 50_000,
  /** The lengths of MLflow's SQL columns for an experiment's and a run's name. */
  experimentNameLength: 256,
  runNameLength: 250,
  /** Bounds of ours, far above real use, so one request cannot tie up the store. */
  searchExperimentIds: 1000,
  filterClauses: 100,
} as const;

/** Metric values may be NaN or ±Infinity (as in MLflow); on the wire they are spelled as strings. */
export const MetricPoint = z.object({
  key: z.string(),
  value: JsonNumber,
  step: z.number().int(),
  timestamp: z.number().int(),
});
export type MetricPoint = z.infer<typeof MetricPoint>;

/**
 * A point of a series as charts read it (runs.metricSeries). Where the series had more points than
 * asked for, it stands for a bucket of consecutive steps: `step`, `timestamp` and `value` are the
 * bucket's last point (highest step, then latest timestamp), `min` and `max` its extremes over the
 * values that are not NaN (null when all are), `count` how many points it holds. A point that is
 * not a bucket has count 1 and min = max = value (null for NaN).
 */
export const SeriesPoint = z.object({
  step: z.number().int(),
  timestamp: z.number().int(),
  value: JsonNumber,
  min: JsonNumber.nullable(),
  max: JsonNumber.nullable(),
  count: z.number().int().positive(),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;

/** Bounds of runs.metricSeries: a compare chart of many runs stays one bounded request. */
export const SERIES_LIMITS = {
  runs: 100,
  keys: 20,
  maxPoints: 10_000,
  defaultPoints: 1000,
  /** runs × keys × maxPoints: what one request may return, so none ties up the store for long. */
  pointsPerRequest: 200_000,
} as const;

/** How many runs one runs.getMany reads: a compare page of a whole sweep. */
export const COMPARE_LIMIT = 1000;

export const MetricSeriesWindow = z.object({
  /** Steps from and to (both included); the whole series when left out. */
  from: z.number().int().optional(),
  to: z.number().int().optional(),
  maxPoints: z.number().int().min(10).max(SERIES_LIMITS.maxPoints).default(SERIES_LIMITS.defaultPoints),
});
export type MetricSeriesWindow = z.infer<typeof MetricSeriesWindow>;

export const SampledSeries = z.object({
  run: z.string(),
  key: z.string(),
  /** Points of the series between from and to. */
  total: z.number().int().nonnegative(),
  /** Whether `points` are buckets (total > maxPoints) rather than every point. */
  sampled: z.boolean(),
  /**
   * In step order. With a window, the nearest point on each side outside it comes too (count 1),
   * so a zoomed line runs to the chart's edges.
   */
  points: z.array(SeriesPoint),
});
export type SampledSeries = z.infer<typeof SampledSeries>;

export const Experiment = z.object({
  id: z.string(),
  name: z.string(),
  artifactUri: z.string(),
  lifecycleStage: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  tags: z.record(z.string(), z.string()),
});
export type Experiment = z.infer<typeof Experiment>;

export const RunSummary = z.object({
  id: z.string(),
  experimentId: z.string(),
  name: z.string(),
  status: RunStatus,
  startTime: z.number().nullable(),
  endTime: z.number().nullable(),
  createdAt: z.number(),
  params: z.record(z.string(), z.string()),
  /** The latest value of each metric. */
  metrics: z.record(z.string(), JsonNumber),
  tags: z.record(z.string(), z.string()),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunSearch = z.object({
  experimentIds: z.array(z.string()).optional(),
  /** MLflow search syntax subset: `metrics.acc > 0.9 and params.lr = '0.01'`. */
  filter: z.string().default(''),
  /** e.g. `["metrics.acc DESC", "attributes.start_time"]`. */
  orderBy: z.array(z.string()).default([]),
  maxResults: z.number().int().positive().max(LIMITS.searchMaxResults).default(1000),
  pageToken: z.string().optional(),
});
export type RunSearch = z.input<typeof RunSearch>;

export const RunPage = z.object({ runs: z.array(RunSummary), nextPageToken: z.string().nullable() });
export type RunPage = z.infer<typeof RunPage>;

/** What a saved filter filters; the store keeps the scope so other lists can have theirs later. */
export const FilterScope = z.enum(['runs']);
export type FilterScope = z.infer<typeof FilterScope>;

export const FilterName = z
  .string()
  .trim()
  .min(1, 'A filter name cannot be empty.')
  .max(100, 'A filter name has at most 100 characters.')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'A filter name cannot contain control characters.');

/** A filter a user named and kept, in the search syntax of `RunSearch.filter`. */
export const SavedFilter = z.object({ name: z.string(), filter: z.string(), createdAt: z.number() });
export type SavedFilter = z.infer<typeof SavedFilter>;
