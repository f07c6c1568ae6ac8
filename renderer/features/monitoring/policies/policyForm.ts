/**
 * The Add policy dialog's fields and the `policies.add` params they make. What to train is left to
 * core unless overridden (the recipe, data and params of the run behind the served version); the
 * overrides are written as the CLI takes them (`train=iris` a line, `max_iter=50` a line), the
 * cooldown as a duration (`1h`). Every field problem is said before anything is sent.
 */

import { durationText, parseDuration } from '../../../../shared/duration.ts';
import { type MonitorSummary, alertRules as rulesOf } from '../../../../shared/monitoring.ts';
import {
  type AddPolicyParams,
  type Policy,
  PolicyName,
  PolicySettings,
  type UpdatePolicyParams,
} from '../../../../shared/policies.ts';
import { AliasName } from '../../../../shared/registry.ts';
import { DatasetInput } from '../../../../shared/training.ts';

export interface PolicyForm {
  deployment: string;
  /** Blank: `<deployment>-retrain`. */
  name: string;
  /** Blank: the deployment's alias, else `champion`. */
  alias: string;
  onAlerts: boolean;
  monitor: string;
  /** `any`: any alert of the monitor retrains; `some`: only those of `rules`. */
  ruleScope: 'any' | 'some';
  rules: string[];
  newData: boolean;
  cooldown: string;
  /** Blank: the recipe of the run behind the served version. */
  recipe: string;
  /** `CHANNEL=DATASET` a line; blank: that run's data. */
  datasets: string;
  /** `KEY=VALUE` a line; blank: that run's params. */
  params: string;
  /** Blank: evaluated on the alias's gate's data, if it has a gate. */
  evalDataset: string;
  evalPath: string;
  evalLabel: string;
}

export type PolicyFormField =
  | 'deployment'
  | 'name'
  | 'alias'
  | 'monitor'
  | 'rules'
  | 'cooldown'
  | 'recipe'
  | 'datasets'
  | 'params'
  | 'evalDataset';
export type PolicyFormErrors = Partial<Record<PolicyFormField, string>>;

/** A new form for a deployment; from a monitor's page, retraining on that monitor's alerts. */
export function initialPolicyForm(deployment: string, monitor?: string): PolicyForm {
  return {
    deployment,
    name: '',
    alias: '',
    onAlerts: monitor !== undefined,
    monitor: monitor ?? '',
    ruleScope: 'any',
    rules: [],
    newData: monitor === undefined,
    cooldown: '1h',
    recipe: '',
    datasets: '',
    params: '',
    evalDataset: '',
    evalPath: '',
    evalLabel: '',
  };
}

/** A policy's settings as the form shows them, to be changed. */
export function formOfPolicy(p: Policy): PolicyForm {
  return {
    deployment: p.deployment,
    name: p.name,
    alias: p.alias,
    onAlerts: p.triggers.monitor !== null,
    monitor: p.triggers.monitor ?? '',
    ruleScope: p.triggers.rules ? 'some' : 'any',
    rules: p.triggers.rules ?? [],
    newData: p.triggers.newData,
    cooldown: durationText(p.cooldownSeconds),
    recipe: p.recipe,
    datasets: p.datasets.map((d) => `${d.channel}=${d.dataset}`).join('\n'),
    params: Object.entries(p.params)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    evalDataset: p.evaluation?.dataset ?? '',
    evalPath: p.evaluation?.path ?? '',
    evalLabel: p.evaluation?.label ?? '',
  };
}

/** The rules whose alerts a monitor fires, by the names alerts carry: dataset drift first. */
export function alertRules(monitor: MonitorSummary | undefined): string[] {
  return monitor ? rulesOf(monitor) : [];
}

/** `KEY=VALUE` lines (blank lines skipped), or the first line that is not one. */
export function keyValueLines(text: string, what: string): { pairs: [string, string][] } | { error: string } {
  const pairs: [string, string][] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { error: `Line ${i + 1}: write ${what} ("${line}" has no name before =).` };
    pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return { pairs };
}

export function policyParams(form: PolicyForm): { params: AddPolicyParams } | { errors: PolicyFormErrors } {
  const errors: PolicyFormErrors = {};
  if (!form.deployment) errors.deployment = 'Choose the deployment whose model to retrain.';
  const name = form.name.trim();
  const named = name ? PolicyName.safeParse(name) : null;
  if (named && !named.success) errors.name = named.error.issues[0]?.message ?? 'Not a policy name.';
  const alias = form.alias.trim();
  if (alias) {
    const parsed = AliasName.safeParse(alias);
    if (!parsed.success) errors.alias = parsed.error.issues[0]?.message ?? 'Not an alias name.';
  }
  if (form.onAlerts && !form.monitor) errors.monitor = 'Choose the monitor whose alerts retrain.';
  const someRules = form.onAlerts && form.ruleScope === 'some';
  if (someRules && form.rules.length === 0)
    errors.rules = 'Tick at least one rule, or retrain on any of its alerts.';
  const cooldownSeconds = parseDuration(form.cooldown);
  if (cooldownSeconds === null) errors.cooldown = 'A duration such as 30m, 1h or 1d; 0 for none.';
  else if (!PolicySettings.shape.cooldownSeconds.safeParse(cooldownSeconds).success)
    errors.cooldown = 'At most 30 days.';
  const datasets = keyValueLines(form.datasets, 'CHANNEL=DATASET');
  let inputs: { channel: string; dataset: string }[] = [];
  if ('error' in datasets) errors.datasets = datasets.error;
  else {
    inputs = datasets.pairs.map(([channel, dataset]) => ({ channel, dataset }));
    const bad = inputs.map((d) => DatasetInput.safeParse(d)).find((r) => !r.success);
    if (bad) errors.datasets = `A channel is letters, digits, ".", "_" or "-", and a dataset is named.`;
  }
  const params = keyValueLines(form.params, 'KEY=VALUE');
  if ('error' in params) errors.params = params.error;
  const evalDataset = form.evalDataset.trim();
  if (!evalDataset && (form.evalPath.trim() || form.evalLabel.trim()))
    errors.evalDataset = 'Choose the dataset the table and label belong to.';
  if (Object.keys(errors).length > 0) return { errors };
  const recipe = form.recipe.trim();
  return {
    params: {
      deployment: form.deployment,
      ...(name ? { name } : {}),
      ...(alias ? { alias } : {}),
      ...(form.onAlerts ? { monitor: form.monitor } : {}),
      ...(someRules ? { rules: form.rules } : {}),
      newData: form.newData,
      cooldownSeconds: cooldownSeconds!,
      ...(recipe ? { recipe } : {}),
      ...(inputs.length ? { datasets: inputs } : {}),
      // Strings, as the CLI sends them: core reads each by the recipe's declared type.
      ...('pairs' in params && params.pairs.length ? { params: Object.fromEntries(params.pairs) } : {}),
      ...(evalDataset
        ? {
            evaluation: {
              dataset: evalDataset,
              ...(form.evalPath.trim() ? { path: form.evalPath.trim() } : {}),
              ...(form.evalLabel.trim() ? { label: form.evalLabel.trim() } : {}),
            },
          }
        : {}),
    },
  };
}

/**
 * The `policies.update` params of an edited form, against the policy it was filled from: the
 * triggers and cooldown as the form shows them, and of the rest only what changed (so a recipe
 * folder or dataset gone since is not looked at again by a change of the cooldown). A data line
 * or param taken off is removed (the recipe's default applies), a blank evaluation dataset goes
 * back to the gate's data, and unticking alerts drops the monitor.
 */
export function policyUpdateParams(
  form: PolicyForm,
  was: Policy,
): { params: UpdatePolicyParams } | { errors: PolicyFormErrors } {
  const r = policyParams(form);
  if ('errors' in r) return r;
  const p = r.params;
  // A value left as it was keeps its type (30, not "30").
  const params = Object.fromEntries(
    Object.entries(p.params ?? {}).map(([k, v]) => [
      k,
      Object.hasOwn(was.params, k) && String(was.params[k]) === v ? was.params[k]! : v,
    ]),
  );
  const changedParams = Object.entries(params).filter(([k, v]) => was.params[k] !== v);
  const unset = Object.keys(was.params).filter((k) => !Object.hasOwn(params, k));
  const datasets = (p.datasets ?? []).filter(
    (d) => !was.datasets.some((w) => w.channel === d.channel && w.dataset === d.dataset),
  );
  const removed = was.datasets.filter((w) => !p.datasets?.some((d) => d.channel === w.channel));
  const e = p.evaluation;
  const w = was.evaluation;
  const sameEvaluation =
    e && w
      ? e.dataset === w.dataset && (e.path ?? null) === w.path && (e.label ?? null) === w.label
      : !e && !w;
  return {
    params: {
      name: was.name,
      ...(p.alias && p.alias !== was.alias ? { alias: p.alias } : {}),
      monitor: p.monitor ?? null,
      rules: p.rules ?? null,
      newData: p.newData,
      cooldownSeconds: p.cooldownSeconds,
      ...(p.recipe && p.recipe !== was.recipe ? { recipe: p.recipe } : {}),
      ...(datasets.length ? { datasets } : {}),
      ...(removed.length ? { removeChannels: removed.map((d) => d.channel) } : {}),
      ...(changedParams.length ? { params: Object.fromEntries(changedParams) } : {}),
      ...(unset.length ? { unsetParams: unset } : {}),
      ...(sameEvaluation ? {} : { evaluation: p.evaluation ?? null }),
    },
  };
}

/** The form's own errors, with the server's refusals of the fields the training part shows. */
export function withServerErrors(errors: PolicyFormErrors, server: Record<string, string>): PolicyFormErrors {
  return {
    ...errors,
    ...(server.recipe ? { recipe: server.recipe } : {}),
    ...(server.datasets ? { datasets: server.datasets } : {}),
    ...(server.params ? { params: server.params } : {}),
    ...(server.evaluation ? { evalDataset: server.evaluation } : {}),
  };
}
