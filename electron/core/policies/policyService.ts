/**
 * Continuous training (DESIGN §7, docs/architecture.md "Continuous training"). A policy belongs to
 * a deployment; an execution carries a new version through the pipeline:
 *   train    the recipe on the newest versions of its datasets, in the engine (runs.start, wait);
 *   register the run's model as the next version (models.register);
 *   evaluate on the policy's evaluation data, else the alias's gate's (models.evaluate);
 *   promote  the alias to the new version through its gate (models.setAlias): a gate that refuses
 *            ends the execution as `rejected`, the old version serving on;
 *   deploy   the deployment to the new version, health-gated: by following the alias, else by an
 *            update (deployments.update); a rollback is `rejected` too.
 * The pipeline itself is policyPipeline.ts. Here: policies' settings (add, update), their
 * triggers (a monitor's alert, a new data version), looked for on the app's schedule and by
 * `mlwb policies run --if-triggered`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as z from 'zod';
import { alertRules, DRIFT_RULE, derivedName, parseMonitorRule } from '../../../shared/monitoring.ts';
import {
  AddPolicyParams,
  type ExecutionTrigger,
  type Policy,
  type PolicyExecution,
  type PolicySettings,
  type PolicySummary,
  UpdatePolicyParams,
} from '../../../shared/policies.ts';
import type { ModelVersion } from '../../../shared/registry.ts';
import type { Api } from '../api.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import type { DeploymentService } from '../deploy/deploymentService.ts';
import { conflict, invalidInput, WorkbenchError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { now } from '../ids.ts';
import type { MonitorService } from '../monitoring/monitorService.ts';
import type { OpContext, Operations } from '../ops/operations.ts';
import { every } from '../ops/periodic.ts';
import type { RegistryService } from '../registry/registryService.ts';
import { type Db, writeTransaction } from '../store/database.ts';
import type { RunService } from '../training/runService.ts';
import { runPipeline } from './policyPipeline.ts';
import { PolicyRepo, type StoredPolicy } from './policyRepo.ts';

export interface PolicyDeps {
  db: Db;
  deployments: DeploymentService;
  registry: RegistryService;
  datasets: DatasetService;
  runs: RunService;
  monitoring: MonitorService;
  events: EventBus;
}

const EXECUTIONS_SHOWN = 100;
/** How long a failed execution keeps its triggers from starting another. */
const FAILURE_BACKOFF_MS = 15 * 60_000;
const SCHEDULE_TICK_MS = 15_000;

export class PolicyService {
  readonly repo: PolicyRepo;
  private api: Api | undefined;

  constructor(private readonly d: PolicyDeps) {
    this.repo = new PolicyRepo(d.db);
  }

  /** The API the pipeline's steps go through (set by createApi, once there is one). */
  attachApi(api: Api): void {
    this.api ??= api;
  }

  list(): PolicySummary[] {
    const last = this.repo.lastOfEach();
    return this.repo.list().map(({ id, ...p }) => ({ ...p, lastExecution: last.get(id) ?? null }));
  }

  get(name: string): { policy: Policy; executions: PolicyExecution[] } {
    const { id, ...policy } = this.repo.get(name);
    return { policy, executions: this.repo.executions(id, EXECUTIONS_SHOWN) };
  }

  remove(name: string): { removed: boolean } {
    return { removed: this.repo.remove(name) };
  }

  /** A policy for a deployment; what to train defaults to what made the version it serves. */
  add(input: AddPolicyParams): Policy {
    const p = AddPolicyParams.parse(input);
    const dep = this.d.deployments.repo.get(p.deployment);
    const served = this.d.registry.repo.version(dep.model, dep.version);
    const run = served.runId ? this.specOf(served.runId) : undefined;
    const recipe = p.recipe ? path.resolve(p.recipe) : run?.recipe.path;
    if (!recipe)
      throw invalidInput(
        `${dep.model} v${dep.version} was not trained by a recipe run here, so there is nothing to retrain by default. Name the recipe (--recipe DIR) and its data (--dataset CHANNEL=NAME).`,
      );
    checkRecipe(recipe, p.recipe ? '' : ` (the recipe ${dep.model} v${dep.version} was trained with)`);
    // What is named replaces what made the served version, channel by channel and param by param.
    const datasets = this.datasetsOver(run?.datasets ?? [], p.datasets);
    const rules = this.triggerRules(p.monitor, p.rules);
    const settings: PolicySettings = {
      deployment: dep.name,
      model: dep.model,
      alias: p.alias ?? dep.alias ?? 'champion',
      recipe,
      datasets,
      params: { ...(run?.params ?? {}), ...(p.params ?? {}) },
      seed: run?.seed ?? null,
      engine: p.engine ?? null,
      modelPath: p.modelPath ?? 'model/model.onnx',
      evaluation: p.evaluation
        ? {
            dataset: p.evaluation.dataset,
            path: p.evaluation.path ?? null,
            label: p.evaluation.label ?? null,
          }
        : null,
      triggers: { monitor: p.monitor ?? null, rules, newData: p.newData },
      cooldownSeconds: p.cooldownSeconds,
    };
    if (p.evaluation) this.d.datasets.versions(p.evaluation.dataset);
    const { id: _id, ...added } = this.repo.add(p.name ?? derivedName(dep.name, 'retrain'), settings);
    return added;
  }

  /** Changes a policy's settings, or pauses or resumes its triggers. */
  update(input: UpdatePolicyParams): Policy {
    const p = UpdatePolicyParams.parse(input);
    // Read, checked and written at once: a change made meanwhile by another process is not lost.
    return writeTransaction(this.d.db, () => this.updateNow(p));
  }

  private updateNow(p: z.output<typeof UpdatePolicyParams>): Policy {
    const { id, enabled, ...current } = this.repo.get(p.name);
    const recipe = p.recipe ? path.resolve(p.recipe) : current.recipe;
    if (p.recipe) checkRecipe(recipe, '');
    const monitor = p.monitor === undefined ? current.triggers.monitor : p.monitor;
    // Another monitor: its rules are chosen anew (any alert, unless named).
    const sameMonitor = monitor === current.triggers.monitor;
    const rules =
      p.rules === undefined && sameMonitor
        ? current.triggers.rules
        : this.triggerRules(monitor ?? undefined, p.rules ?? undefined);
    const both = (p.unsetParams ?? []).find((k) => p.params && Object.hasOwn(p.params, k));
    if (both) throw invalidInput(`The param ${both} is both set and unset: give one of the two.`);
    const params = { ...current.params, ...(p.params ?? {}) };
    for (const k of p.unsetParams ?? []) delete params[k];
    const unknownChannel = (p.removeChannels ?? []).find(
      (c) => !current.datasets.some((d) => d.channel === c),
    );
    if (unknownChannel)
      throw invalidInput(
        `${p.name} has no data channel ${unknownChannel}: its channels are ${current.datasets.map((d) => d.channel).join(', ') || '(none)'}.`,
      );
    const replaced = (p.removeChannels ?? []).find((c) => p.datasets?.some((d) => d.channel === c));
    if (replaced)
      throw invalidInput(`The data channel ${replaced} is both given and removed: give one of the two.`);
    const kept = current.datasets.filter((d) => !p.removeChannels?.includes(d.channel));
    const evaluation =
      p.evaluation === undefined
        ? current.evaluation
        : p.evaluation && {
            dataset: p.evaluation.dataset,
            path: p.evaluation.path ?? null,
            label: p.evaluation.label ?? null,
          };
    if (p.evaluation) this.d.datasets.versions(p.evaluation.dataset);
    const settings: PolicySettings = {
      deployment: current.deployment,
      model: current.model,
      alias: p.alias ?? current.alias,
      recipe,
      datasets: p.datasets ? this.datasetsOver(kept, p.datasets) : kept,
      params,
      seed: current.seed,
      engine: p.engine === undefined ? current.engine : p.engine,
      modelPath: p.modelPath ?? current.modelPath,
      evaluation,
      triggers: { monitor, rules, newData: p.newData ?? current.triggers.newData },
      cooldownSeconds: p.cooldownSeconds ?? current.cooldownSeconds,
    };
    const resumed = !enabled && p.enabled === true;
    const triggersChanged =
      resumed ||
      settings.triggers.monitor !== current.triggers.monitor ||
      JSON.stringify(settings.triggers.rules) !== JSON.stringify(current.triggers.rules);
    const { id: _id, ...updated } = this.repo.update(id, settings, p.enabled ?? enabled, triggersChanged);
    return updated;
  }

  /** `named` over `base`, channel by channel; each dataset must exist. */
  private datasetsOver(
    base: readonly { channel: string; dataset: string }[],
    named: readonly { channel: string; dataset: string }[] | undefined,
  ): { channel: string; dataset: string }[] {
    const datasets = [
      ...base
        .filter((d) => !named?.some((x) => x.channel === d.channel))
        .map((d) => ({ channel: d.channel, dataset: d.dataset })),
      ...(named ?? []),
    ];
    for (const d of datasets) this.d.datasets.versions(d.dataset);
    return datasets;
  }

  /** The alert rules that set a policy off: null for any of the monitor's, or without a monitor. */
  private triggerRules(monitor: string | undefined, rules: string[] | undefined): string[] | null {
    if (!monitor && rules?.length)
      throw invalidInput(
        '--rule chooses which alerts of the monitor retrain: name the monitor too (--monitor).',
      );
    return monitor ? this.monitorRules(monitor, rules) : null;
  }

  /**
   * Refuses a change to a monitor that drops an alert rule (one it `had`, not in `kept`) a policy
   * retrains on.
   */
  assertTriggersKept(monitor: string, kept: string[], had: string[]): void {
    for (const p of this.repo.list()) {
      if (p.triggers.monitor !== monitor || !p.triggers.rules) continue;
      const gone = p.triggers.rules.find((r) => had.includes(r) && !kept.includes(r));
      if (gone)
        throw conflict(
          `The policy ${p.name} retrains when the alert "${gone}" of ${monitor} fires, and the change drops that rule. Keep the rule, or change the policy's triggers first (its page's Edit, or \`mlwb policies update ${p.name}\`).`,
        );
    }
  }

  /**
   * The monitor's rules a policy retrains on, as its alerts name them (`accuracy<0.80` is the
   * monitor's `accuracy < 0.8`); null for all of them. A rule the monitor does not check is refused.
   */
  private monitorRules(monitorName: string, texts: string[] | undefined): string[] | null {
    const { id: _id, ...monitor } = this.d.monitoring.repo.get(monitorName);
    if (!texts?.length) return null;
    const has = alertRules(monitor);
    return texts.map((text) => {
      const t = text.trim();
      let rule: string | undefined = t === DRIFT_RULE ? DRIFT_RULE : undefined;
      if (!rule) {
        const parsed = parseMonitorRule(t);
        if (typeof parsed !== 'string') rule = parsed.text;
      }
      if (rule && has.includes(rule)) return rule;
      throw invalidInput(
        `${monitorName} has no rule "${t}": its alerts are ${has.map((r) => `"${r}"`).join(', ') || '(none)'}.`,
      );
    });
  }

  /**
   * Why the policy should retrain now, or null: an alert of its monitor that fired since its last
   * execution started (or since it was made), or a newer version of a dataset than its last
   * execution trained on — once its cooldown has passed. A policy retraining now has no trigger.
   */
  due(name: string, at = now()): ExecutionTrigger | null {
    const policy = this.repo.get(name);
    const last = this.repo.last(policy.id);
    // One execution runs at a time, so one running is the newest.
    if (last?.status === 'running') return null;
    // Alerts from before its triggers last changed (resumed, another monitor, other rules) do not
    // set it off: that change applies from then on.
    const since = Math.max(last?.startedAt ?? policy.createdAt, this.repo.triggersSince(policy.id) ?? 0);
    if (last && at < last.startedAt + policy.cooldownSeconds * 1000) return null;
    // After a failure, not again for a while whatever the cooldown: an engine that is down or a
    // recipe that is gone would fail every tick.
    if (last?.status === 'failed' && at < (last.endedAt ?? last.startedAt) + FAILURE_BACKOFF_MS) return null;
    const t = policy.triggers;
    if (t.monitor) {
      const fired = this.d.monitoring.repo
        .alerts({ monitor: t.monitor })
        .filter((a) => a.firedAt >= since && (!t.rules || t.rules.includes(a.rule)))
        .sort((a, b) => a.firedAt - b.firedAt)[0];
      if (fired)
        return {
          kind: 'alert',
          reason: `the alert "${fired.rule}" of ${fired.monitor} fired`,
        };
    }
    if (t.newData) {
      const trained = this.trainedVersions(policy, last);
      for (const d of policy.datasets) {
        const newest = this.newestVersion(d.dataset);
        const had = trained[d.dataset];
        if (newest !== undefined && had !== undefined && newest > had)
          return {
            kind: 'new-data',
            reason: `${d.dataset} has a new version (v${newest}; trained on v${had})`,
          };
      }
    }
    return null;
  }

  private specOf(runId: string) {
    try {
      return this.d.runs.detail(runId).spec ?? undefined;
    } catch {
      return undefined; // the run was deleted
    }
  }

  /** The dataset versions the last execution trained on, else those behind the served version. */
  private trainedVersions(policy: StoredPolicy, last: PolicyExecution | null): Record<string, number> {
    const fromRun = last?.steps.find((s) => s.name === 'train')?.detail.datasets as
      | Record<string, number>
      | undefined;
    if (fromRun) return fromRun;
    const dep = this.d.deployments.repo.find(policy.deployment);
    let lineage: ModelVersion['lineage'] = null;
    try {
      lineage = dep ? this.d.registry.repo.version(dep.model, dep.version).lineage : null;
    } catch {
      // the served version was deleted: no lineage to compare with
    }
    return Object.fromEntries((lineage?.datasets ?? []).map((d) => [d.dataset, d.version]));
  }

  /** The newest version of a dataset, or undefined when it has none (or was removed). */
  private newestVersion(dataset: string): number | undefined {
    try {
      return this.d.datasets.versions(dataset)[0]?.version;
    } catch {
      return undefined;
    }
  }

  /** `policies.run`: retrains now, or with `ifTriggered` only when a trigger holds. */
  async run(
    name: string,
    ifTriggered: boolean,
    ctx: OpContext,
  ): Promise<{ execution: PolicyExecution | null; reason: string | null }> {
    if (ifTriggered && !this.repo.get(name).enabled)
      return {
        execution: null,
        reason: `${name} is paused: its triggers are not looked at. Resume it (mlwb policies resume ${name}), or retrain by hand without --if-triggered.`,
      };
    const trigger = ifTriggered ? this.due(name) : { kind: 'manual' as const, reason: 'run by hand' };
    if (!trigger) return { execution: null, reason: `Nothing has triggered ${name} since it last ran.` };
    return { execution: await this.execute(name, trigger, ctx), reason: null };
  }

  /** Runs the pipeline now (policyPipeline.ts). */
  execute(name: string, trigger: ExecutionTrigger, ctx: OpContext): Promise<PolicyExecution> {
    const api = this.api;
    if (!api) throw new WorkbenchError('INTERNAL', 'The policy runner has no API to call.');
    const { d } = this;
    return runPipeline(
      {
        api,
        repo: this.repo,
        events: d.events,
        datasets: d.datasets,
        runs: d.runs,
        registry: d.registry,
        specOf: (runId) => this.specOf(runId),
      },
      this.repo.get(name),
      trigger,
      ctx,
    );
  }

  /**
   * Looks for policies with a trigger each tick, and runs those one at a time as operations the
   * UI can follow. Returns what stops it.
   */
  schedule(ops: Operations, tickMs = SCHEDULE_TICK_MS): () => void {
    return every(tickMs, async (stopped) => {
      if (!this.api) return;
      for (const p of this.repo.list()) {
        if (stopped()) break;
        if (!p.enabled) continue;
        // One policy that cannot be looked at (its monitor removed meanwhile) does not keep the
        // others from running.
        let trigger: ExecutionTrigger | null;
        try {
          trigger = this.due(p.name);
        } catch {
          continue;
        }
        if (!trigger) continue;
        const { done } = ops.start('policies.run', (ctx) => this.execute(p.name, trigger, ctx));
        await done.catch(() => {});
      }
    });
  }
}

/** Refuses a folder without recipe.yaml; `which` says whose recipe it was meant to be. */
function checkRecipe(dir: string, which: string): void {
  if (!fs.existsSync(path.join(dir, 'recipe.yaml')))
    throw invalidInput(
      `There is no recipe at ${dir}${which}: a recipe folder holds recipe.yaml. Name one with --recipe DIR.`,
    );
}
