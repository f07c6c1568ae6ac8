/**
 * The model registry (docs/architecture.md, "Model registry"): registered models, their numbered
 * versions with the ONNX signature and feature spec read at registration, aliases with the history
 * of every move, and the gates that guard an alias. Shared by core, the CLI, the MLflow registry
 * endpoints and the renderer.
 */
import * as z from 'zod';
import { DatasetName, JsonNumber } from './datasets.ts';
import { EvaluationResult } from './evaluation.ts';

/** MLflow's registry limits, kept so MLflow clients fail here as they would there. */
export const REGISTRY_LIMITS = {
  nameLength: 256,
  descriptionLength: 5000,
  tagKeyLength: 250,
  tagValueLength: 5000,
  aliasLength: 255,
} as const;

/**
 * A model's name. It becomes part of image tags and container names, so it is kept to letters,
 * digits, `.`, `_` and `-`, starting with a letter or digit.
 */
export const ModelName = z
  .string()
  .min(1, 'A model needs a name.')
  .max(REGISTRY_LIMITS.nameLength, `A model name has at most ${REGISTRY_LIMITS.nameLength} characters.`)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'A model name uses letters, digits, ".", "_" and "-", and starts with a letter or digit.',
  );

/**
 * An alias (`champion`, `staging`…). As in MLflow it cannot be `latest` nor look like a version
 * reference (`v3`), since `NAME@ALIAS` and `NAME@V` share one syntax.
 */
export const AliasName = z
  .string()
  .min(1, 'An alias needs a name.')
  .max(REGISTRY_LIMITS.aliasLength)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]*$/,
    'An alias uses letters, digits, "_" and "-", and starts with a letter or "_".',
  )
  .refine((a) => a.toLowerCase() !== 'latest', '"latest" is reserved: it always means the newest version.')
  .refine((a) => !/^v\d+$/i.test(a), 'An alias cannot look like a version ("v3").');

export const VersionNumber = z.number().int().positive();

export { formatModelRef, type ModelRef, parseModelRef } from './modelRef.ts';

export const ModelRefParams = z.object({
  name: ModelName,
  version: VersionNumber.optional(),
  alias: z.string().min(1).optional(),
});

export const TensorType = z.string();
/** One input or output of an ONNX model; `-1` marks a dynamic dimension. */
export const TensorSpec = z.object({
  name: z.string(),
  type: TensorType,
  shape: z.array(z.number().int()),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

/** The named feature column behind each column of each input tensor, in order. */
export const FeatureSpec = z.record(z.string(), z.array(z.string()));
export type FeatureSpec = z.infer<typeof FeatureSpec>;

export const ModelTask = z.enum(['classification', 'regression']);
export type ModelTask = z.infer<typeof ModelTask>;

/** Where a version came from: its run, and everything the run records to be made again. */
export const Lineage = z.object({
  runId: z.string(),
  runName: z.string(),
  experimentId: z.string(),
  recipeName: z.string().nullable(),
  recipeDigest: z.string().nullable(),
  image: z.string().nullable(),
  imageDigest: z.string().nullable(),
  datasets: z.array(
    z.object({ channel: z.string(), dataset: z.string(), version: z.number().int(), digest: z.string() }),
  ),
  params: z.record(z.string(), z.string()),
  seed: z.number().int().nullable(),
});
export type Lineage = z.infer<typeof Lineage>;

export const Tags = z.record(z.string(), z.string());

export const ModelVersion = z.object({
  name: z.string(),
  version: z.number().int(),
  sha256: z.string(),
  size: z.number().int(),
  /** `runs:/RUN_ID/PATH` as MLflow spells it. */
  source: z.string(),
  runId: z.string().nullable(),
  inputs: z.array(TensorSpec),
  outputs: z.array(TensorSpec),
  features: FeatureSpec,
  /** Class labels by output column, when the model says (its signature.json). */
  classes: z.array(z.string()).nullable(),
  /** The column the model was trained to predict, when known. */
  label: z.string().nullable(),
  task: ModelTask.nullable(),
  description: z.string(),
  tags: Tags,
  aliases: z.array(z.string()),
  lineage: Lineage.nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

export const ModelSummary = z.object({
  name: z.string(),
  description: z.string(),
  tags: Tags,
  versions: z.number().int(),
  latestVersion: z.number().int().nullable(),
  aliases: z.record(z.string(), z.number().int()),
  /** The newest evaluation of the model's newest evaluated version: its headline metric. */
  latestEvaluation: z
    .object({ version: z.number().int(), metric: z.string(), value: JsonNumber, dataset: z.string() })
    .nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

export const AliasMoveKind = z.enum(['manual', 'gate', 'forced', 'removed', 'deleted']);
export const AliasMove = z.object({
  alias: z.string(),
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  at: z.number(),
  kind: AliasMoveKind,
  reason: z.string().nullable(),
});
export type AliasMove = z.infer<typeof AliasMove>;

/**
 * One gate rule: `METRIC OP THRESHOLD`, where THRESHOLD is a number or is relative to the version
 * that holds the alias now: `champion.METRIC`, optionally `+ N`, `- N` or `* N` (MLflow's
 * MetricThreshold: absolute and relative change, with the operator saying which way is better;
 * `* N` moves the champion's value by (N − 1) of its size, so it reads the same for negative values).
 */
export const GateRuleText = z.string().trim().min(1).max(500);
export const GateOp = z.enum(['>=', '>', '<=', '<']);
export const GateRule = z.object({
  text: z.string(),
  metric: z.string(),
  op: GateOp,
  threshold: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('absolute'), value: z.number() }),
    z.object({
      kind: z.literal('champion'),
      metric: z.string(),
      change: z.enum(['+', '-', '*']).nullable(),
      by: z.number().nullable(),
    }),
  ]),
});
export type GateRule = z.infer<typeof GateRule>;

const RULE = /^([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*(.+)$/;
const RELATIVE =
  /^champion\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:([-+*])\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))?$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Parses a rule as users type it; the error says what the grammar is. */
export function parseGateRule(text: string): GateRule | { error: string } {
  const t = text.trim();
  const m = RULE.exec(t);
  const hint =
    'Write a rule as METRIC OP VALUE, e.g. "accuracy >= 0.9" or "f1 >= champion.f1 - 0.01" (OP: >=, >, <=, <).';
  if (!m) return { error: `"${t}" is not a rule. ${hint}` };
  const [, metric, op, rhs] = m as unknown as [string, string, GateRule['op'], string];
  const value = rhs.trim();
  if (NUMBER.test(value))
    return { text: t, metric, op, threshold: { kind: 'absolute', value: Number(value) } };
  const rel = RELATIVE.exec(value);
  if (rel) {
    const [, other, change, by] = rel as unknown as [
      string,
      string,
      '+' | '-' | '*' | undefined,
      string | undefined,
    ];
    return {
      text: t,
      metric,
      op,
      threshold: {
        kind: 'champion',
        metric: other,
        change: change ?? null,
        by: by === undefined ? null : Number(by),
      },
    };
  }
  return { error: `"${value}" in "${t}" is neither a number nor champion.METRIC. ${hint}` };
}

export const Gate = z.object({
  alias: z.string(),
  dataset: z.string(),
  datasetVersion: z.number().int().nullable(),
  path: z.string().nullable(),
  label: z.string(),
  rules: z.array(GateRule),
  updatedAt: z.number(),
});
export type Gate = z.infer<typeof Gate>;

export const RuleOutcome = z.object({
  rule: z.string(),
  metric: z.string(),
  value: JsonNumber.nullable(),
  /** The threshold as computed; null when a relative rule had no champion to compare against. */
  threshold: JsonNumber.nullable(),
  passed: z.boolean(),
  note: z.string().nullable(),
});
export type RuleOutcome = z.infer<typeof RuleOutcome>;

export const GateOutcome = z.object({
  alias: z.string(),
  dataset: z.string(),
  datasetVersion: z.number().int(),
  candidate: z.number().int(),
  champion: z.number().int().nullable(),
  passed: z.boolean(),
  rules: z.array(RuleOutcome),
});
export type GateOutcome = z.infer<typeof GateOutcome>;

export const RegisterParams = z.object({
  runId: z.string().min(1),
  name: ModelName,
  /** The model file inside the run's outputs. */
  path: z.string().min(1).default('model/model.onnx'),
  label: z.string().min(1).optional(),
  features: z.array(z.string().min(1)).min(1).optional(),
  description: z.string().max(REGISTRY_LIMITS.descriptionLength).default(''),
});

export const RegisterResult = z.object({
  name: z.string(),
  version: z.number().int(),
  sha256: z.string(),
  inputs: z.array(TensorSpec),
  outputs: z.array(TensorSpec),
  features: FeatureSpec,
});

export const SetAliasParams = z.object({
  name: ModelName,
  version: VersionNumber,
  alias: AliasName,
  force: z.boolean().default(false),
  reason: z.string().trim().max(2000).optional(),
});
export const SetAliasResult = z.object({
  moved: z.boolean(),
  from: z.number().int().nullable(),
  to: z.number().int(),
  kind: AliasMoveKind,
  gate: GateOutcome.nullable(),
});
export type SetAliasResult = z.infer<typeof SetAliasResult>;

export const SetGateParams = z.object({
  name: ModelName,
  alias: AliasName,
  dataset: DatasetName,
  datasetVersion: VersionNumber.optional(),
  path: z.string().min(1).optional(),
  label: z.string().min(1),
  rules: z.array(GateRuleText).min(1, 'A gate needs at least one rule, e.g. "accuracy >= 0.9".'),
});

export const EvaluateParams = z.object({
  name: ModelName,
  version: VersionNumber.optional(),
  alias: z.string().min(1).optional(),
  dataset: DatasetName,
  datasetVersion: VersionNumber.optional(),
  /** The table inside the dataset version; needed only when it holds more than one. */
  path: z.string().min(1).optional(),
  /** The true value's column; the version's own label when omitted. */
  label: z.string().min(1).optional(),
});

/** A stored evaluation of one version on one table of one dataset version. */
export const EvaluationRecord = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  dataset: z.string(),
  datasetVersion: z.number().int(),
  datasetDigest: z.string(),
  path: z.string(),
  label: z.string(),
  task: ModelTask,
  /** null where a metric does not apply (ROC AUC when one class is absent). */
  metrics: z.record(z.string(), JsonNumber.nullable()),
  /** Everything the evaluation found: the metrics again, the curves and matrices to draw. */
  details: EvaluationResult,
  createdAt: z.number(),
});
export type EvaluationRecord = z.infer<typeof EvaluationRecord>;
