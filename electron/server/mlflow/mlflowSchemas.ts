/**
 * Request bodies of the MLflow REST subset, with MLflow's field names and defaults (from its
 * service.proto). Protobuf's JSON mapping lets int64 and double travel as strings, and a GET
 * carries everything as strings, so numbers are accepted in both spellings.
 */
import * as z from 'zod';
import { LIMITS } from '../../../shared/tracking.ts';

/** int64: a JSON integer or a decimal string ("1700000000000"). */
const Int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform(Number),
]);

/** Ids are strings in MLflow; a client that sends experiment_id: 1 means "1". */
const Id = z.union([z.string().min(1), z.number().int().nonnegative().transform(String)]);

/** A double: a number, "NaN"/"Infinity"/"-Infinity" (protobuf JSON), or a decimal string. */
const MetricValue = z.union([
  z.number(),
  z.enum(['NaN', 'Infinity', '-Infinity']),
  z
    .string()
    .regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'expected a number')
    .transform(Number),
]);

/** A list, or one value (a GET with a single experiment_ids=1). */
const list = <T extends z.ZodType>(item: T) =>
  z.union([z.array(item), item.transform((v) => [v])]) as unknown as z.ZodType<z.output<T>[]>;

const MaxResults = Int64.pipe(
  z
    .number()
    .int()
    .min(1, 'max_results must be at least 1')
    .max(LIMITS.searchMaxResults, `max_results must be at most ${LIMITS.searchMaxResults}`),
);

const KeyValue = z.object({ key: z.string(), value: z.string() });
export type KeyValue = z.infer<typeof KeyValue>;

export const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']).default('ACTIVE_ONLY');

/** Old clients send run_uuid; it names the same thing as run_id. */
const RunRef = { run_id: z.string().min(1).optional(), run_uuid: z.string().min(1).optional() };
/** Just the run an endpoint's request names, parsed as each endpoint parses it. */
export const RunOf = z.object(RunRef);

export const MlflowStatus = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
export type MlflowStatus = z.infer<typeof MlflowStatus>;

const ExperimentName = z
  .string()
  .min(1, 'the experiment name must not be empty')
  .max(
    LIMITS.experimentNameLength,
    `an experiment name has at most ${LIMITS.experimentNameLength} characters`,
  );
const RunName = z
  .string()
  .max(LIMITS.runNameLength, `a run name has at most ${LIMITS.runNameLength} characters`);

export const CreateExperiment = z.object({
  name: ExperimentName,
  artifact_location: z.string().optional(),
  tags: z.array(KeyValue).default([]),
});

export const GetExperiment = z.object({ experiment_id: Id });
export const GetExperimentByName = z.object({ experiment_name: z.string().min(1) });

export const SearchExperiments = z.object({
  max_results: MaxResults.default(1000),
  page_token: z.string().optional(),
  filter: z.string().default(''),
  order_by: list(z.string()).default([]),
  view_type: ViewType,
});

export const CreateRun = z.object({
  experiment_id: Id.default('0'),
  user_id: z.string().optional(),
  run_name: RunName.optional(),
  start_time: Int64.optional(),
  tags: z.array(KeyValue).default([]),
});

export const GetRun = z.object(RunRef);

export const UpdateRun = z.object({
  ...RunRef,
  status: MlflowStatus.optional(),
  end_time: Int64.optional(),
  run_name: RunName.optional(),
});

export const SearchRuns = z.object({
  experiment_ids: list(Id)
    .default([])
    .refine((ids) => ids.length <= LIMITS.searchExperimentIds, {
      message: `search at most ${LIMITS.searchExperimentIds} experiment_ids at once`,
    }),
  filter: z.string().default(''),
  run_view_type: ViewType,
  max_results: MaxResults.default(1000),
  order_by: list(z.string()).default([]),
  page_token: z.string().optional(),
});

export const Metric = z.object({
  key: z.string(),
  value: MetricValue,
  timestamp: Int64,
  step: Int64.default(0),
});

export const LogMetric = z.object({ ...RunRef, ...Metric.shape });
export const LogParam = z.object({ ...RunRef, ...KeyValue.shape });
export const SetTag = z.object({ ...RunRef, ...KeyValue.shape });

/** First the shape and counts (so a 100,000-item batch is refused before it is parsed item by item)… */
export const LogBatchShape = z.object({
  ...RunRef,
  metrics: z.array(z.unknown()).default([]),
  params: z.array(z.unknown()).default([]),
  tags: z.array(z.unknown()).default([]),
});
/** …then the items. */
export const LogBatch = z.object({
  ...RunRef,
  metrics: z.array(Metric).default([]),
  params: z.array(KeyValue).default([]),
  tags: z.array(KeyValue).default([]),
});

export const GetMetricHistory = z.object({
  ...RunRef,
  metric_key: z.string().min(1),
  max_results: MaxResults.optional(),
  page_token: z.string().optional(),
});
