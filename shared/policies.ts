/**
 * Continuous training (DESIGN §7, docs/architecture.md "Continuous training"): a policy retrains a
 * deployment's model when its monitor alerts or its training data gets a new version, and carries
 * the new version through evaluation, the alias's gate and a health-gated replacement of the
 * deployment. Each execution is a pipeline of steps, recorded as it goes. Shared by core, the CLI
 * and the renderer.
 */
import * as z from 'zod';
import { DeploymentName, labelName } from './deployments.ts';
import { DatasetInput, RunParams } from './training.ts';

export const PolicyName = labelName('policy');

export const PolicyTriggers = z.object({
  /** Retrain when an alert of this monitor fires (any of its rules, or only these). */
  monitor: z.string().nullable(),
  rules: z.array(z.string()).nullable(),
  /** Retrain when any dataset the recipe reads gets a new version. */
  newData: z.boolean(),
});
export type PolicyTriggers = z.infer<typeof PolicyTriggers>;

export const PolicySettings = z.object({
  deployment: z.string(),
  model: z.string(),
  /** The alias the new version must take, through its gate. */
  alias: z.string(),
  /** What to train: the recipe folder, its datasets (their newest versions), params, seed. */
  recipe: z.string(),
  datasets: z.array(DatasetInput),
  params: RunParams,
  seed: z.number().int().nullable(),
  engine: z.string().nullable(),
  /** Where the model file is in the run's output. */
  modelPath: z.string(),
  /** Evaluated on this dataset's newest version (null: the alias's gate's dataset, if any). */
  evaluation: z
    .object({ dataset: z.string(), path: z.string().nullable(), label: z.string().nullable() })
    .nullable(),
  triggers: PolicyTriggers,
  /** At least this long between two executions started by a trigger. */
  cooldownSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86400),
});
export type PolicySettings = z.infer<typeof PolicySettings>;

/** What a new version is evaluated on: a dataset, its table (when it has several) and label. */
const EvaluationInput = z.object({
  dataset: z.string().min(1),
  path: z.string().min(1).optional(),
  label: z.string().min(1).optional(),
});

export const Policy = PolicySettings.extend({
  name: z.string(),
  enabled: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Policy = z.infer<typeof Policy>;

export const PIPELINE_STEPS = ['train', 'register', 'evaluate', 'promote', 'deploy'] as const;
export const PipelineStepName = z.enum(PIPELINE_STEPS);
export type PipelineStepName = z.infer<typeof PipelineStepName>;

export const StepState = z.enum(['pending', 'running', 'done', 'failed', 'skipped']);
export type StepState = z.infer<typeof StepState>;

export const PipelineStep = z.object({
  name: PipelineStepName,
  state: StepState,
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  /** What it did or why it stopped, in words. */
  message: z.string().nullable(),
  /** What it made: the run id, the version, the evaluation's metrics, the gate's outcome… */
  detail: z.record(z.string(), z.unknown()),
});
export type PipelineStep = z.infer<typeof PipelineStep>;

/**
 * How an execution ended:
 * - `deployed`: the new version took the alias and serves;
 * - `rejected`: the gate refused it, or its replacement was rolled back: the old version serves;
 * - `failed`: a step could not be done (see its message);
 * - `cancelled`: stopped by the user.
 */
export const ExecutionStatus = z.enum(['running', 'deployed', 'rejected', 'failed', 'cancelled']);
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

export const ExecutionTrigger = z.object({
  kind: z.enum(['manual', 'alert', 'new-data']),
  /** In words: "alert dataset drift of iris-monitor", "iris v3". */
  reason: z.string(),
});
export type ExecutionTrigger = z.infer<typeof ExecutionTrigger>;

export const PolicyExecution = z.object({
  id: z.string(),
  policy: z.string(),
  status: ExecutionStatus,
  trigger: ExecutionTrigger,
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  steps: z.array(PipelineStep),
  /** The version it made, once registered. */
  version: z.number().int().nullable(),
  /** While it runs: the operation that runs it (`ops.cancel` in the process that runs it). */
  op: z.string().nullable().default(null),
});
export type PolicyExecution = z.infer<typeof PolicyExecution>;

export const PolicySummary = Policy.extend({ lastExecution: PolicyExecution.nullable() });
export type PolicySummary = z.infer<typeof PolicySummary>;

export const AddPolicyParams = z.object({
  deployment: DeploymentName,
  /** Default: `<deployment>-retrain`. */
  name: PolicyName.optional(),
  /** Default: the deployment's alias, else `champion`. */
  alias: z.string().min(1).optional(),
  /** Default: the recipe, datasets, params and seed of the run that made the served version. */
  recipe: z.string().min(1).optional(),
  datasets: z.array(DatasetInput).optional(),
  params: RunParams.optional(),
  engine: z.string().min(1).optional(),
  modelPath: z.string().min(1).optional(),
  evaluation: EvaluationInput.optional(),
  monitor: z.string().min(1).optional(),
  rules: z.array(z.string().min(1)).optional(),
  newData: z.boolean().default(false),
  cooldownSeconds: PolicySettings.shape.cooldownSeconds.default(3600),
});
export type AddPolicyParams = z.input<typeof AddPolicyParams>;

/**
 * A change to a policy: what is given replaces what it has, the rest stays. Datasets are replaced
 * channel by channel and params key by key, as in `policies.add`; `removeChannels` and
 * `unsetParams` drop them (the recipe's defaults apply). `null` clears: the engine (the default
 * one), the evaluation (the gate's data), the monitor (no alert trigger), the rules (any alert of
 * the monitor). `enabled: false` pauses its triggers (it can still be run by hand). Alerts that
 * fired before a change do not trigger it.
 */
export const UpdatePolicyParams = z.object({
  name: PolicyName,
  enabled: z.boolean().optional(),
  alias: z.string().min(1).optional(),
  recipe: z.string().min(1).optional(),
  datasets: z.array(DatasetInput).optional(),
  /** Data channels it no longer trains with (named by channel). */
  removeChannels: z.array(z.string().min(1)).optional(),
  params: RunParams.optional(),
  unsetParams: z.array(z.string().min(1)).optional(),
  engine: z.string().min(1).nullable().optional(),
  modelPath: z.string().min(1).optional(),
  evaluation: EvaluationInput.nullable().optional(),
  monitor: z.string().min(1).nullable().optional(),
  rules: z.array(z.string().min(1)).nullable().optional(),
  newData: z.boolean().optional(),
  cooldownSeconds: PolicySettings.shape.cooldownSeconds.optional(),
});
export type UpdatePolicyParams = z.input<typeof UpdatePolicyParams>;
