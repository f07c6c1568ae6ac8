/**
 * The Add monitor dialog's fields and the `monitors.add` params they make. Durations are written
 * as the CLI takes them (`90s`, `15m`, `1h`, `7d`), the drift share as a share or a percentage,
 * and rules one a line, each read by `parseMonitorRule` as it is typed so its message shows beside
 * it. Every field problem is said before anything is sent.
 */

import { TABULAR_EXTENSIONS } from '../../../shared/datasets.ts';
import { durationText, parseDuration } from '../../../shared/duration.ts';
import {
  type AddMonitorParams,
  MONITOR_DEFAULTS,
  type Monitor,
  MonitorName,
  type MonitorRule,
  MonitorSettings,
  parseMonitorRule,
  type UpdateMonitorParams,
} from '../../../shared/monitoring.ts';

export interface MonitorForm {
  deployment: string;
  /** Blank: `<deployment>-monitor`. */
  name: string;
  window: string;
  /** `0`: checked only when asked. */
  every: string;
  minRows: string;
  drift: boolean;
  driftShare: string;
  /** Blank: the model's training data, found through its lineage. */
  reference: string;
  /** One rule a line. */
  rules: string;
}

export type MonitorFormField =
  | 'deployment'
  | 'name'
  | 'window'
  | 'every'
  | 'minRows'
  | 'driftShare'
  | 'reference';
export type MonitorFormErrors = Partial<Record<MonitorFormField | 'rules', string>>;

export { durationText, parseDuration };

export function initialMonitorForm(deployment: string): MonitorForm {
  return {
    deployment,
    name: '',
    window: durationText(MONITOR_DEFAULTS.windowSeconds),
    every: durationText(MONITOR_DEFAULTS.everySeconds),
    minRows: String(MONITOR_DEFAULTS.minRows),
    drift: MONITOR_DEFAULTS.drift,
    driftShare: String(MONITOR_DEFAULTS.driftShare),
    reference: '',
    rules: '',
  };
}

/** A monitor's settings as the form shows them, to be changed. */
export function formOfMonitor(m: Monitor): MonitorForm {
  return {
    deployment: m.deployment,
    name: m.name,
    window: durationText(m.windowSeconds),
    every: durationText(m.everySeconds),
    minRows: String(m.minRows),
    drift: m.drift,
    driftShare: String(m.driftShare),
    reference: m.reference ?? '',
    rules: m.rules.map((r) => r.text).join('\n'),
  };
}

export interface RuleLine {
  /** 1-based, as an editor counts lines. */
  line: number;
  text: string;
  rule: MonitorRule | null;
  error: string | null;
}

/** The non-blank lines of the rules box, each parsed. */
export function ruleLines(text: string): RuleLine[] {
  const out: RuleLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (!t) return;
    const r = parseMonitorRule(t);
    out.push({
      line: i + 1,
      text: t,
      rule: typeof r === 'string' ? null : r,
      error: typeof r === 'string' ? r : null,
    });
  });
  return out;
}

/** A share from 0 to 1, written `0.3` or `30%`. */
export function parseShare(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(%)?$/.exec(text.trim());
  if (!m) return null;
  const v = m[2] ? Number(m[1]) / 100 : Number(m[1]);
  return v >= 0 && v <= 1 ? v : null;
}

const TABLE_EXTENSIONS = [...TABULAR_EXTENSIONS, '.tab', '.pq'];

/** Why a reference cannot be one, or null: `dataset:NAME[@V][:PATH]`, or a table file's path. */
export function referenceProblem(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  if (t.startsWith('dataset:')) {
    return /^dataset:[^@:\s][^@:]*(@\d+)?(:.+)?$/.test(t)
      ? null
      : 'Write a dataset version as dataset:NAME@VERSION, with the table inside it after a colon when it holds several (dataset:iris@1:train.csv).';
  }
  return TABLE_EXTENSIONS.some((e) => t.toLowerCase().endsWith(e))
    ? null
    : `${t} is neither dataset:NAME[@V][:PATH] nor a CSV, TSV, Parquet or JSON Lines file.`;
}

export function monitorParams(
  form: MonitorForm,
): { params: AddMonitorParams } | { errors: MonitorFormErrors } {
  const errors: MonitorFormErrors = {};
  if (!form.deployment) errors.deployment = 'Choose the deployment to watch.';
  const name = form.name.trim();
  if (name && !MonitorName.safeParse(name).success)
    errors.name =
      'A monitor name uses lower-case letters, digits and "-" (at most 40), and starts and ends with a letter or digit.';
  const windowSeconds = parseDuration(form.window);
  if (windowSeconds === null) errors.window = 'A duration such as 15m, 1h or 7d.';
  else if (!MonitorSettings.shape.windowSeconds.safeParse(windowSeconds).success)
    errors.window = windowSeconds < 60 ? 'A window is at least a minute.' : 'A window is at most 90 days.';
  const everySeconds = parseDuration(form.every);
  if (everySeconds === null) errors.every = 'A duration such as 5m or 1h, or 0 to check only when asked.';
  else if (!MonitorSettings.shape.everySeconds.safeParse(everySeconds).success)
    errors.every =
      everySeconds < 60
        ? 'At least a minute apart (or 0: only when asked).'
        : 'At most every 30 days (0: only when asked).';
  const minRows = Number(form.minRows.trim());
  if (!form.minRows.trim() || !Number.isInteger(minRows) || minRows < 1 || minRows > 1e9)
    errors.minRows = 'A whole number of rows, at least 1.';
  const driftShare = parseShare(form.driftShare);
  if (form.drift && driftShare === null) errors.driftShare = 'A share from 0 to 1, such as 0.5 or 50%.';
  const reference = form.reference.trim();
  const refProblem = form.drift ? referenceProblem(reference) : null;
  if (refProblem) errors.reference = refProblem;
  const lines = ruleLines(form.rules);
  const bad = lines.filter((l) => l.error);
  if (bad.length)
    errors.rules =
      bad.length === 1 ? `Line ${bad[0]!.line}: ${bad[0]!.error}` : `${bad.length} lines are not rules.`;
  else if (!form.drift && lines.length === 0)
    errors.rules = 'A monitor that does not test drift needs at least one rule, such as error_rate < 0.05.';
  if (Object.keys(errors).length > 0) return { errors };
  return {
    params: {
      deployment: form.deployment,
      ...(name ? { name } : {}),
      windowSeconds: windowSeconds!,
      everySeconds: everySeconds!,
      minRows,
      drift: form.drift,
      ...(form.drift ? { driftShare: driftShare! } : {}),
      ...(form.drift && reference ? { reference } : {}),
      rules: lines.map((l) => l.rule!.text),
    },
  };
}

/**
 * The `monitors.update` params of an edited form: every setting, as the form shows them all. A
 * blank reference goes back to the model's training data; with drift off, the drift share and
 * reference it had stay for when it is turned on again.
 */
export function monitorUpdateParams(
  form: MonitorForm,
): { params: UpdateMonitorParams } | { errors: MonitorFormErrors } {
  const r = monitorParams(form);
  if ('errors' in r) return r;
  const { deployment: _d, name: _n, reference, ...settings } = r.params;
  return {
    params: {
      ...settings,
      name: form.name,
      ...(form.drift ? { reference: reference ?? null } : {}),
    },
  };
}
