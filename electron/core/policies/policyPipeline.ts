/**
 * One execution of a policy (DESIGN §7, docs/architecture.md "Continuous training"): a new
 * version carried through the pipeline's five steps — train, register, evaluate, promote,
 * deploy — each recorded as it goes and announced. Every step goes through the API, so every
 * change is announced as a user's would be. A gate that refuses, or a replacement rolled back,
 * ends it `rejected`, the old version serving on; a cancel stops it before its next step.
 */
import path from 'node:path';
import { entities } from '../../../shared/entities.ts';
import { HEADLINE_METRICS } from '../../../shared/evaluation.ts';
import {
  type ExecutionTrigger,
  PIPELINE_STEPS,
  type PipelineStep,
  type PipelineStepName,
  type PolicyExecution,
} from '../../../shared/policies.ts';
import type { Api } from '../api.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import { cancelled, invalidInput } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { newId, now } from '../ids.ts';
import type { OpContext } from '../ops/operations.ts';
import type { RegistryService } from '../registry/registryService.ts';
import type { RunService } from '../training/runService.ts';
import type { PolicyRepo, StoredPolicy } from './policyRepo.ts';

export interface PipelineDeps {
  api: Api;
  repo: PolicyRepo;
  events: EventBus;
  datasets: DatasetService;
  runs: RunService;
  registry: RegistryService;
  /** The spec of a run, or undefined when it was deleted. */
  specOf(runId: string): ReturnType<RunService['detail']>['spec'] | undefined;
}

/** Why a step stopped the pipeline without it failing: the old version keeps serving. */
class Rejected extends Error {}

/** Runs the pipeline of `policy` now, recorded as an execution held by this process. */
export async function runPipeline(
  deps: PipelineDeps,
  policy: StoredPolicy,
  trigger: ExecutionTrigger,
  ctx: OpContext,
): Promise<PolicyExecution> {
  const { api } = deps;
  const name = policy.name;
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
  deps.repo.begin(policy, exec);
  const announce = () => deps.events.changed(entities.policies, entities.policy(name));
  const step = (n: PipelineStepName): PipelineStep => exec.steps.find((s) => s.name === n)!;
  const begin = (n: PipelineStepName, message: string) => {
    if (ctx.signal.aborted) throw cancelled('The retraining was cancelled.');
    const s = step(n);
    s.state = 'running';
    s.startedAt = now();
    s.message = message;
    ctx.progress({ phase: n, done: PIPELINE_STEPS.indexOf(n), total: PIPELINE_STEPS.length, message });
    deps.repo.save(exec);
    announce();
    return s;
  };
  const end = (s: PipelineStep, state: 'done' | 'skipped', message: string) => {
    s.state = state;
    s.endedAt = now();
    s.message = message;
    deps.repo.save(exec);
    announce();
  };
  /** Marks a step failed with why; returns the message, for the error that ends the execution. */
  const fail = (s: PipelineStep, message: string) => {
    s.state = 'failed';
    s.endedAt = now();
    s.message = message;
    return message;
  };
  const opts = { signal: ctx.signal };
  try {
    // train
    let s = begin('train', `Training ${path.basename(policy.recipe)} on the newest data`);
    const datasets = policy.datasets.map((d) => ({ channel: d.channel, dataset: d.dataset }));
    // The versions it means to train on, known before the run starts: a run that cannot even
    // start still counts as having tried this data (new data does not trigger it again).
    s.detail.datasets = Object.fromEntries(
      policy.datasets.map((d) => [d.dataset, deps.datasets.versions(d.dataset)[0]?.version ?? null]),
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
    const spec = deps.specOf(runId);
    if (spec) s.detail.datasets = Object.fromEntries(spec.datasets.map((d) => [d.dataset, d.version]));
    deps.repo.save(exec);
    const ended = await api.call('runs.wait', { ids: [runId] }, opts).catch(async (err: unknown) => {
      // Cancelled while training: the run is cancelled too, not left running unseen.
      if (ctx.signal.aborted) await api.call('runs.cancel', { id: runId }).catch(() => undefined);
      throw err;
    });
    const status = ended.runs[0]!.status;
    if (status !== 'FINISHED') {
      const why = deps.runs.detail(runId).failureReason;
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
    const gate = deps.registry.repo.results.gate(policy.model, policy.alias);
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
      throw new Rejected(
        fail(
          s,
          moved.gate
            ? `The gate of ${policy.alias} refused v${registered.version}: ${failedRules.join('; ')}. v${moved.from} keeps the alias.`
            : `${policy.alias} already points at v${registered.version}.`,
        ),
      );
    }
    end(s, 'done', `${policy.alias}: v${moved.from ?? '-'} → v${registered.version}`);

    // deploy
    s = begin('deploy', `Replacing ${policy.deployment}, health-gated`);
    const followed = moved.followed.find((f) => f.deployment === policy.deployment);
    const outcome = followed
      ? { outcome: followed.outcome, reason: followed.reason }
      : await api.call('deployments.update', { name: policy.deployment, version: registered.version }, opts);
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
      const message = fail(
        s,
        `${policy.deployment} was not replaced (${outcome.outcome})${outcome.reason ? `: ${outcome.reason}` : ''}; the version before keeps serving${back ? `, and ${back}` : ''}.`,
      );
      if (outcome.outcome === 'failed') throw invalidInput(message);
      throw new Rejected(message);
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
    deps.repo.save(exec);
    announce();
  }
  if (exec.status === 'cancelled') throw cancelled('The retraining was cancelled.');
  return exec;
}

function headline(metrics: Record<string, unknown>): string {
  const pick = HEADLINE_METRICS.filter((k) => typeof metrics[k] === 'number');
  return pick.map((k) => `${k} ${(metrics[k] as number).toPrecision(3)}`).join(', ') || 'evaluated';
}
