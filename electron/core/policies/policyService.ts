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
 * Each step goes through the API, so every change is announced as a user's would be. Triggers (a
 * monitor's alert, a new data version) are looked for on the app's schedule and by
 * `mlwb policies run --if-triggered`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as z from 'zod';
import { entities } from '../../../shared/entities.ts';
import { alertRules, DRIFT_RULE, derivedName, parseMonitorRule } from '../../../shared/monitoring.ts';
import {
  AddPolicyParams,
  type ExecutionTrigger,
  PIPELINE_STEPS,
  type PipelineStep,
  type PipelineStepName,
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
import { cancelled, conflict, invalidInput, WorkbenchError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { newId, now } from '../ids.ts';
import type { MonitorService } from '../monitoring/monitorService.ts';
import type { OpContext, Operations } from '../ops/operations.ts';
import { every } from '../ops/periodic.ts';
import type { RegistryService } from '../registry/registryService.ts';
import { type Db, writeTransaction } from '../store/database.ts';
import type { RunService } from '../training/runService.ts';
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

/** Why a step stopped the pipeline without it failing: the old version keeps serving. */
class Rejected extends Error {}

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

  /** Runs the pipeline now. */
  async execute(name: string, trigger: ExecutionTrigger, ctx: OpContext): Promise<PolicyExecution> {
    const api = this.api;
    if (!api) throw new WorkbenchError('INTERNAL', 'The policy runner has no API to call.');
    const policy = this.repo.get(name);
    const exec: PolicyExecution = {
      id: newId(),
      policy: name,
      status: 'running',
      trigger,
      startedAt: now(),
      endedAt: null,
      steps: PIPELINE_STEPS.map((s) => ({
        name: s,
        state: 'pending',
        startedAt: null,
        endedAt: null,
        message: null,
        detail: {},
      })),
      version: null,
      op: ctx.op ?? null,
    };
    this.repo.begin(policy, exec);
    const announce = () => this.d.events.changed(entities.policies, entities.policy(name));
    const step = (n: PipelineStepName): PipelineStep => exec.steps.find((s) => s.name === n)!;
    const begin = (n: PipelineStepName, message: string) => {
      if (ctx.signal.aborted) throw cancelled('The retraining was cancelled.');
      const s = step(n);
      s.state = 'running';
      s.startedAt = now();
      s.message = message;
      ctx.progress({ phase: n, done: PIPELINE_STEPS.indexOf(n), total: PIPELINE_STEPS.length, message });
      this.repo.save(exec);
      announce();
      return s;
    };
    const end = (s: PipelineStep, state: 'done' | 'skipped', message: string) => {
      s.state = state;
      s.endedAt = now();
      s.message = message;
      this.repo.save(exec);
      announce();
    };
    const opts = { signal: ctx.signal };
    try {
      // train
      let s = begin('train', `Training ${path.basename(policy.recipe)} on the newest data`);
      const datasets = policy.datasets.map((d) => ({ channel: d.channel, dataset: d.dataset }));
      // The versions it means to train on, known before the run starts: a run that cannot even
      // start still counts as having tried this data (new data does not trigger it again).
      s.detail.datasets = Object.fromEntries(
        policy.datasets.map((d) => [d.dataset, this.d.datasets.versions(d.dataset)[0]?.version ?? null]),
      );
      const { runs } = await api.call(
        'runs.start',
        {
          recipe: policy.recipe,
          datasets,
          params: policy.params,
          ...(policy.seed !== null ? { seed: policy.seed } : {}),
          ...(policy.engine ? { engine: policy.engine } : {}),
          experiment: `policy ${name}`,
          name: `${name} retrain`,
        },
        opts,
      );
      const runId = runs[0]!;
      s.detail.run = runId;
      const spec = this.specOf(runId);
      if (spec) s.detail.datasets = Object.fromEntries(spec.datasets.map((d) => [d.dataset, d.version]));
      this.repo.save(exec);
      const ended = await api.call('runs.wait', { ids: [runId] }, opts).catch(async (err: unknown) => {
        // Cancelled while training: the run is cancelled too, not left running unseen.
        if (ctx.signal.aborted) await api.call('runs.cancel', { id: runId }).catch(() => undefined);
        throw err;
      });
      const status = ended.runs[0]!.status;
      if (status !== 'FINISHED') {
        const why = this.d.runs.detail(runId).failureReason;
        throw invalidInput(`The training run ${runId} ended ${status}${why ? `: ${why}` : ''}.`);
      }
      end(s, 'done', `Run ${runId} finished`);

      // register
      s = begin('register', `Registering the run's ${policy.modelPath}`);
      const registered = await api.call(
        'models.register',
        { runId, name: policy.model, path: policy.modelPath },
        opts,
      );
      exec.version = registered.version;
      s.detail.version = registered.version;
      end(s, 'done', `${policy.model} v${registered.version}`);

      // evaluate
      s = begin('evaluate', 'Evaluating the new version');
      const gate = this.d.registry.repo.results.gate(policy.model, policy.alias);
      const on =
        policy.evaluation ?? (gate ? { dataset: gate.dataset, path: gate.path, label: gate.label } : null);
      if (!on)
        end(
          s,
          'skipped',
          `No evaluation data (policies add --evaluate NAME), and ${policy.alias} has no gate (mlwb model gate): nothing to evaluate on.`,
        );
      else {
        const evaluation = await api.call(
          'models.evaluate',
          {
            name: policy.model,
            version: registered.version,
            dataset: on.dataset,
            ...(on.path ? { path: on.path } : {}),
            ...(on.label ? { label: on.label } : {}),
          },
          opts,
        );
        s.detail.metrics = evaluation.metrics;
        s.detail.dataset = `${evaluation.dataset}@${evaluation.datasetVersion}:${evaluation.path}`;
        end(s, 'done', `On ${s.detail.dataset}: ${headline(evaluation.metrics)}`);
      }

      // promote
      s = begin(
        'promote',
        `Moving ${policy.alias} to v${registered.version}${gate ? ' through its gate' : ''}`,
      );
      const moved = await api.call(
        'models.setAlias',
        {
          name: policy.model,
          version: registered.version,
          alias: policy.alias,
          reason: `policy ${name}: ${trigger.reason}`,
        },
        opts,
      );
      s.detail.gate = moved.gate;
      if (!moved.moved) {
        const failedRules =
          moved.gate?.rules
            .filter((r) => !r.passed)
            .map(
              (r) => `${r.rule} (${typeof r.value === 'number' ? Number(r.value.toPrecision(4)) : r.value})`,
            ) ?? [];
        s.state = 'failed';
        s.endedAt = now();
        s.message = moved.gate
          ? `The gate of ${policy.alias} refused v${registered.version}: ${failedRules.join('; ')}. v${moved.from} keeps the alias.`
          : `${policy.alias} already points at v${registered.version}.`;
        throw new Rejected(s.message);
      }
      end(s, 'done', `${policy.alias}: v${moved.from ?? '-'} → v${registered.version}`);

      // deploy
      s = begin('deploy', `Replacing ${policy.deployment}, health-gated`);
      const followed = moved.followed.find((f) => f.deployment === policy.deployment);
      const outcome = followed
        ? { outcome: followed.outcome, reason: followed.reason }
        : await api.call(
            'deployments.update',
            { name: policy.deployment, version: registered.version },
            opts,
          );
      s.detail.outcome = outcome.outcome;
      if (outcome.outcome !== 'replaced') {
        // The alias goes back to the version that serves, so the alias, the deployment and what
        // follows it agree again.
        const back =
          moved.from === null
            ? null
            : await api
                .call('models.setAlias', {
                  name: policy.model,
                  version: moved.from,
                  alias: policy.alias,
                  force: true,
                  reason: `policy ${name}: v${registered.version} did not take over ${policy.deployment} (${outcome.outcome})`,
                })
                .then(
                  () => `${policy.alias} is back on v${moved.from}`,
                  (err: unknown) =>
                    `${policy.alias} could not be moved back to v${moved.from}: ${(err as Error).message}`,
                );
        s.state = 'failed';
        s.endedAt = now();
        s.message = `${policy.deployment} was not replaced (${outcome.outcome})${outcome.reason ? `: ${outcome.reason}` : ''}; the version before keeps serving${back ? `, and ${back}` : ''}.`;
        if (outcome.outcome === 'failed') throw invalidInput(s.message);
        throw new Rejected(s.message);
      }
      end(s, 'done', `${policy.deployment} serves v${registered.version}`);
      exec.status = 'deployed';
    } catch (err) {
      const at = now();
      exec.status = err instanceof Rejected ? 'rejected' : ctx.signal.aborted ? 'cancelled' : 'failed';
      for (const s of exec.steps) {
        if (s.state === 'running') {
          s.state = 'failed';
          s.endedAt = at;
          s.message = ctx.signal.aborted ? 'Cancelled.' : (err as Error).message;
        } else if (s.state === 'pending') s.state = 'skipped';
      }
    } finally {
      exec.endedAt = now();
      exec.op = null;
      this.repo.save(exec);
      announce();
    }
    if (exec.status === 'cancelled') throw cancelled('The retraining was cancelled.');
    return exec;
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

function headline(metrics: Record<string, unknown>): string {
  const pick = ['accuracy', 'f1', 'roc_auc', 'rmse', 'mae', 'r2'].filter(
    (k) => typeof metrics[k] === 'number',
  );
  return pick.map((k) => `${k} ${(metrics[k] as number).toPrecision(3)}`).join(', ') || 'evaluated';
}

/** Refuses a folder without recipe.yaml; `which` says whose recipe it was meant to be. */
function checkRecipe(dir: string, which: string): void {
  if (!fs.existsSync(path.join(dir, 'recipe.yaml')))
    throw invalidInput(
      `There is no recipe at ${dir}${which}: a recipe folder holds recipe.yaml. Name one with --recipe DIR.`,
    );
}
