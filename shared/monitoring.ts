/**
 * Monitoring of deployments (DESIGN §7, docs/architecture.md "Monitoring"): the requests a
 * deployment logged, taken into the store; monitors that check windows of that traffic for drift
 * against the model's training data and for health and realized performance by rules; the alerts
 * they fire and resolve; and ground-truth labels joined to requests by id. Shared by core, the CLI
 * and the renderer.
 */
import * as z from 'zod';
import { DeploymentName, labelName } from './deployments.ts';

export const MonitorName = labelName('monitor');

/** `<deployment>-<suffix>`, the deployment's part shortened so the whole stays a valid name. */
export function derivedName(deployment: string, suffix: string): string {
  return `${deployment.slice(0, 40 - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

/**
 * What a monitor measures on a window of traffic, by the name rules use. Latencies are the
 * server's own (from request received to answer sent), in milliseconds.
 */
export const MONITOR_METRICS = {
  requests: 'inference requests in the window',
  rows: 'rows scored (a request may carry several)',
  errors: 'requests answered with a 4xx or 5xx status',
  error_rate: 'errors / requests',
  p50_latency_ms: 'median latency',
  p95_latency_ms: '95th percentile latency',
  drift_share: 'share of the feature columns that drifted from the training data',
  drifted_columns: 'how many feature columns drifted',
  labeled_rows: 'rows with a ground-truth label',
  accuracy: 'share of labeled rows predicted right (classifiers)',
  rmse: 'root mean squared error on labeled rows (regressors)',
  mae: 'mean absolute error on labeled rows (regressors)',
} as const;
export type MonitorMetric = keyof typeof MONITOR_METRICS;
export const monitorMetricNames = Object.keys(MONITOR_METRICS) as MonitorMetric[];

/** Metrics that are shares (0–1), shown as percents. */
const SHARES = new Set(['error_rate', 'drift_share', 'accuracy']);

/** `metric op number`: what must hold. A rule that does not hold fires an alert. */
export const MonitorRule = z.object({
  text: z.string(),
  metric: z.enum(monitorMetricNames as [MonitorMetric, ...MonitorMetric[]]),
  op: z.enum(['<', '<=', '>', '>=']),
  value: z.number().finite(),
});
export type MonitorRule = z.infer<typeof MonitorRule>;

const RULE = /^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

/** Parses `error_rate < 0.05`; a message that says what a rule looks like when it cannot. */
export function parseMonitorRule(text: string): MonitorRule | string {
  const m = RULE.exec(text);
  if (!m)
    return `"${text}" is not a rule. A rule is METRIC OP NUMBER, such as "error_rate < 0.05" or "accuracy >= 0.9".`;
  const metric = m[1]!.toLowerCase();
  if (!(metric in MONITOR_METRICS))
    return `"${text}": a monitor has no metric ${metric}. It has ${monitorMetricNames.join(', ')}.`;
  const value = Number(m[3]);
  if (SHARES.has(metric) && (value < 0 || value > 1))
    return `"${text}": ${metric} is a share from 0 to 1 (0.05 for 5%).`;
  return {
    text: `${metric} ${m[2]} ${value}`,
    metric: metric as MonitorMetric,
    op: m[2] as MonitorRule['op'],
    value: Number(m[3]),
  };
}

/** The rule name under which a window's dataset drift fires its alert. */
export const DRIFT_RULE = 'dataset drift';

export const MonitorSettings = z.object({
  /** The traffic each check reads: the last `windowSeconds` before it runs. */
  windowSeconds: z
    .number()
    .int()
    .min(60, 'A window is at least a minute.')
    .max(90 * 86400),
  /** How often the app checks it on its own; 0: only when asked (`mlwb monitors run`). */
  everySeconds: z
    .number()
    .int()
    .max(30 * 86400)
    .refine((s) => s === 0 || s >= 60, 'A monitor is checked at most once a minute (or 0: only when asked).'),
  /** Fewer rows in a window than this: drift is not tested (too few to tell), and said so. */
  minRows: z.number().int().min(1).max(1e9),
  /** Test the window's features for drift against the reference. */
  drift: z.boolean(),
  /** Dataset drift when at least this share of the features drifted. */
  driftShare: z.number().min(0).max(1),
  /**
   * What the window is compared with: `dataset:NAME[@V][:PATH]` or a file; null: the table the
   * model version was trained on, found through its lineage.
   */
  reference: z.string().min(1).nullable(),
  rules: z.array(MonitorRule),
});
export type MonitorSettings = z.infer<typeof MonitorSettings>;

/** The rules a monitor's alerts are named by: dataset drift (when tested) first, then its rules. */
export function alertRules(s: { drift: boolean; rules: { text: string }[] }): string[] {
  return [...(s.drift ? [DRIFT_RULE] : []), ...s.rules.map((r) => r.text)];
}

export const MONITOR_DEFAULTS = {
  windowSeconds: 3600,
  everySeconds: 300,
  minRows: 50,
  drift: true,
  driftShare: 0.5,
} as const;

export const Monitor = MonitorSettings.extend({
  name: z.string(),
  deployment: z.string(),
  enabled: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Monitor = z.infer<typeof Monitor>;

/**
 * How a check ended:
 * - `ok`: every rule held and no dataset drift;
 * - `alerting`: a rule failed or the features drifted;
 * - `no-data`: too few rows to test drift and no rule could be checked;
 * - `failed`: the check could not be made (see `error`).
 */
export const MonitorRunStatus = z.enum(['ok', 'alerting', 'no-data', 'failed']);
export type MonitorRunStatus = z.infer<typeof MonitorRunStatus>;

export const RuleCheck = z.object({
  rule: z.string(),
  metric: z.string(),
  value: z.number().nullable(),
  passed: z.boolean().nullable(),
  /** Why a rule was not checked (passed null), e.g. no labeled rows yet. */
  note: z.string().nullable(),
});
export type RuleCheck = z.infer<typeof RuleCheck>;

export const MonitorRun = z.object({
  id: z.string(),
  monitor: z.string(),
  at: z.number(),
  from: z.number(),
  to: z.number(),
  status: MonitorRunStatus,
  /** The model versions that answered in the window. */
  versions: z.array(z.number().int()),
  /** Each metric of MONITOR_METRICS, null where it does not apply (no labels, no traffic). */
  metrics: z.record(z.string(), z.number().nullable()),
  checks: z.array(RuleCheck),
  /** Whether the window's features drifted as a whole (DRIFT_RULE); null when not tested. */
  datasetDrift: z.boolean().nullable().default(null),
  /** The stored drift report of the window, when drift was tested. */
  driftReport: z.string().nullable(),
  /** What the window was compared with (`dataset:iris@1:train.csv`). */
  reference: z.string().nullable(),
  /** Why drift was not tested, or why the check failed. */
  note: z.string().nullable(),
});
export type MonitorRun = z.infer<typeof MonitorRun>;

export const AlertState = z.enum(['firing', 'resolved']);
export type AlertState = z.infer<typeof AlertState>;

export const Alert = z.object({
  id: z.string(),
  monitor: z.string(),
  deployment: z.string(),
  /** The rule's text, or DRIFT_RULE. */
  rule: z.string(),
  state: AlertState,
  firedAt: z.number(),
  resolvedAt: z.number().nullable(),
  /** The metric's value when it fired, and its latest while it fires. */
  value: z.number().nullable(),
  message: z.string(),
});
export type Alert = z.infer<typeof Alert>;

export const MonitorSummary = Monitor.extend({
  lastRun: MonitorRun.nullable(),
  firing: z.number().int(),
});
export type MonitorSummary = z.infer<typeof MonitorSummary>;

export const AddMonitorParams = z.object({
  deployment: DeploymentName,
  /** Default: `<deployment>-monitor`. */
  name: MonitorName.optional(),
  windowSeconds: MonitorSettings.shape.windowSeconds.optional(),
  everySeconds: MonitorSettings.shape.everySeconds.optional(),
  minRows: MonitorSettings.shape.minRows.optional(),
  drift: z.boolean().optional(),
  driftShare: MonitorSettings.shape.driftShare.optional(),
  reference: z.string().min(1).optional(),
  /** Rules as text (`error_rate < 0.05`); each is parsed, and refused with a message. */
  rules: z.array(z.string().min(1)).max(50).default([]),
});
export type AddMonitorParams = z.input<typeof AddMonitorParams>;

/**
 * A change to a monitor: what is given replaces what it has, the rest stays. `rules` replaces the
 * rules; `addRules` and `removeRules` change them one by one. `reference: null` goes back to the
 * model's training data. `enabled: false` pauses its scheduled checks (it can still be checked
 * by hand). Alerts of rules it no longer checks are resolved.
 */
export const UpdateMonitorParams = z.object({
  name: MonitorName,
  enabled: z.boolean().optional(),
  windowSeconds: MonitorSettings.shape.windowSeconds.optional(),
  everySeconds: MonitorSettings.shape.everySeconds.optional(),
  minRows: MonitorSettings.shape.minRows.optional(),
  drift: z.boolean().optional(),
  driftShare: MonitorSettings.shape.driftShare.optional(),
  reference: z.string().min(1).nullable().optional(),
  rules: z.array(z.string().min(1)).max(50).optional(),
  addRules: z.array(z.string().min(1)).max(50).optional(),
  removeRules: z.array(z.string().min(1)).max(50).optional(),
});
export type UpdateMonitorParams = z.input<typeof UpdateMonitorParams>;

/** What a change did besides the settings: the alerts it resolved (their rules are gone). */
export const UpdateMonitorResult = z.object({ monitor: Monitor, resolved: z.array(z.string()) });
export type UpdateMonitorResult = z.infer<typeof UpdateMonitorResult>;

/** A logged request, as the deployment page lists them. */
export const LoggedRequest = z.object({
  id: z.string(),
  at: z.number(),
  version: z.number().int(),
  endpoint: z.string(),
  status: z.number().int(),
  latencyMs: z.number(),
  rows: z.number().int(),
  error: z.string().nullable(),
});
export type LoggedRequest = z.infer<typeof LoggedRequest>;

/**
 * Ground truth for a deployment's requests: a CSV or JSON Lines file with a `request_id` column, a
 * `label` column, and, for requests that scored several rows, a `row` column (0-based; default 0).
 * The file is a path on core's machine (the CLI, Electron) or the one file of a browser-mode upload
 * session (removed once read).
 */
export const AddLabelsParams = z
  .object({
    deployment: DeploymentName,
    path: z.string().min(1).optional(),
    upload: z.string().min(1).optional(),
  })
  .refine((p) => (p.path === undefined) !== (p.upload === undefined), {
    message: 'Give the labels as a file path or as an upload, one of the two.',
  });
export type AddLabelsParams = z.infer<typeof AddLabelsParams>;
export const AddLabelsResult = z.object({
  /** Labels read from the file. */
  read: z.number().int(),
  /** Of them, labels of requests the deployment logged. */
  matched: z.number().int(),
  /** Request ids not (yet) among the deployment's logged requests, at most 20. */
  unmatchedIds: z.array(z.string()),
});
export type AddLabelsResult = z.infer<typeof AddLabelsResult>;
