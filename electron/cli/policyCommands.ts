/** `mlwb policies …`: thin over the API's continuous-training methods. */
import { durationText } from '../../shared/duration.ts';
import type { Policy, PolicyExecution, PolicySummary } from '../../shared/policies.ts';
import type { Api } from '../core/api.ts';
import { durationSeconds } from './monitorCommands.ts';
import {
  CheckFailed,
  FailedWithResult,
  formatTime,
  type Out,
  progressOf,
  table,
  UsageError,
} from './output.ts';
import { keyValues, parseDatasetArg } from './runCommands.ts';
import { subcommandArgs } from './subcommand.ts';

export const policiesHelp = `Usage: mlwb policies <command>

  list                          policies with their last execution
  show NAME                     one policy: what it trains, its triggers, its executions' pipelines
  add DEPLOYMENT [--name N] [--alias A] [--monitor M [--rule R]…] [--new-data] [--cooldown 1h]
                 [--recipe DIR] [--dataset [CHANNEL=]NAME]… [--param K=V]… [--engine E]
                 [--evaluate NAME[:PATH]] [--label COL]
                                retrain DEPLOYMENT's model when M alerts (on any rule, or these)
                                or its data gets a new version: train the recipe on the newest
                                data (default: the recipe, data and params of the run behind the
                                served version; --dataset and --param replace only the channels
                                and params they name), register, evaluate, move --alias (default the
                                deployment's, else champion) through its gate, and replace the
                                deployment, health-gated
  update NAME [--alias A] [--monitor M|--no-monitor] [--rule R]…|--any-rule
              [--new-data|--no-new-data] [--cooldown 1h] [--recipe DIR] [--dataset [CHANNEL=]NAME]…
              [--remove-dataset CHANNEL]… [--param K=V]… [--unset-param K]…
              [--engine E|--default-engine]
              [--evaluate NAME[:PATH] [--label COL]|--no-evaluate] [--model-path P]
                                change a policy; what is not named stays (--dataset and --param
                                replace only the channels and params they name)
  pause NAME / resume NAME      stop or start its triggers (run still works)
  remove NAME                   remove a policy with its history
  run NAME [--if-triggered]     retrain now (--if-triggered: only when an alert fired or new data
                                came since the last execution, for a CI schedule); exit 3 when
                                the gate refused the new version or its replacement rolled back`;

const stepMark = { pending: '·', running: '…', done: '✓', failed: '✗', skipped: '-' } as const;

export function describeExecution(e: PolicyExecution): string {
  const lines = [
    `${e.policy}  ${e.status}${e.version ? `  v${e.version}` : ''}  ${formatTime(e.startedAt)}  (${e.trigger.reason})`,
  ];
  for (const s of e.steps)
    lines.push(
      `  ${stepMark[s.state]} ${s.name.padEnd(8)} ${s.state.padEnd(7)} ${s.message ?? ''}`.trimEnd(),
    );
  return lines.join('\n');
}

function lastOf(p: PolicySummary): string {
  const e = p.lastExecution;
  return e ? `${e.status} ${formatTime(e.startedAt)}${e.version ? ` v${e.version}` : ''}` : 'never run';
}

function triggersOf(p: Pick<Policy, 'triggers'>): string {
  const t = p.triggers;
  const parts = [];
  if (t.monitor) parts.push(`alerts of ${t.monitor}${t.rules ? ` (${t.rules.join('; ')})` : ''}`);
  if (t.newData) parts.push('new data');
  return parts.join(', ') || 'by hand';
}

/** The flags `add` and `update` share: a policy's settings. */
const settingFlags = {
  alias: { type: 'string' },
  monitor: { type: 'string' },
  rule: { type: 'string', multiple: true },
  'new-data': { type: 'boolean' },
  cooldown: { type: 'string' },
  recipe: { type: 'string' },
  dataset: { type: 'string', multiple: true },
  param: { type: 'string', multiple: true },
  engine: { type: 'string' },
  evaluate: { type: 'string' },
  label: { type: 'string' },
  'model-path': { type: 'string' },
} as const;

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The settings the flags name (undefined where not named), but for --new-data. */
function settingsOf(values: FlagValues) {
  const datasets = (values.dataset as string[] | undefined)?.map((raw) => {
    const { version, ...d } = parseDatasetArg(raw);
    if (version !== undefined)
      throw new UsageError(
        `--dataset ${raw}: a policy trains on the newest version of its data; name the dataset without @V.`,
      );
    return d;
  });
  const evaluate = values.evaluate as string | undefined;
  const colon = evaluate?.indexOf(':') ?? -1;
  if (values.label && !evaluate) throw new UsageError('--label goes with --evaluate NAME.');
  return {
    alias: values.alias as string | undefined,
    monitor: values.monitor as string | undefined,
    rules: values.rule as string[] | undefined,
    cooldownSeconds: durationSeconds(values.cooldown as string | undefined, '--cooldown'),
    recipe: values.recipe as string | undefined,
    datasets,
    params: values.param ? keyValues('param', values.param as string[]) : undefined,
    engine: values.engine as string | undefined,
    modelPath: values['model-path'] as string | undefined,
    evaluation: evaluate
      ? {
          dataset: colon > 0 ? evaluate.slice(0, colon) : evaluate,
          ...(colon > 0 ? { path: evaluate.slice(colon + 1) } : {}),
          ...(values.label ? { label: values.label as string } : {}),
        }
      : undefined,
  };
}

/** What a policy trains and when, in a line. */
function settingsLine(p: Policy): string {
  const params = Object.entries(p.params).map(([k, v]) => `${k}=${v}`);
  return [
    `retrains on ${triggersOf(p)}`,
    p.cooldownSeconds ? `cooldown ${durationText(p.cooldownSeconds)}` : 'no cooldown',
    `alias ${p.alias}`,
    `data ${p.datasets.map((d) => `${d.channel}=${d.dataset}`).join(', ') || '(none)'}`,
    ...(params.length ? [`params ${params.join(' ')}`] : []),
    ...(p.evaluation
      ? [`evaluated on ${p.evaluation.dataset}${p.evaluation.path ? `:${p.evaluation.path}` : ''}`]
      : []),
  ].join('; ');
}

export async function policiesCommand(
  api: Api,
  rest: string[],
  out: Out,
  signal: AbortSignal,
): Promise<number> {
  const [sub, ...args] = rest;
  const { parse, one } = subcommandArgs('policies', args);
  switch (sub) {
    case 'list': {
      parse();
      const { policies } = await api.call('policies.list', {});
      out.list('policies', policies, () =>
        policies.length
          ? table(
              ['NAME', 'DEPLOYMENT', 'ALIAS', 'TRIGGERS', 'LAST EXECUTION'],
              policies.map((p) => [
                p.name,
                p.deployment,
                `${p.model}@${p.alias}`,
                `${p.enabled ? '' : '(paused) '}${triggersOf(p)}`,
                lastOf(p),
              ]),
            )
          : 'No policies yet. Retrain a deployment when its data moves: `mlwb policies add DEPLOYMENT --monitor M`.',
      );
      return 0;
    }
    case 'show': {
      const { name } = one('show NAME');
      const r = await api.call('policies.get', { name });
      out.result(r, () => {
        const p = r.policy;
        const lines = [
          `${p.name}  retrains ${p.model} for ${p.deployment}, promoting through ${p.model}@${p.alias}`,
          `  recipe    ${p.recipe}`,
          `  data      ${p.datasets.map((d) => `${d.channel}=${d.dataset}`).join(', ') || '(none)'} (newest versions)`,
          `  params    ${
            Object.entries(p.params)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ') || '(none)'
          }`,
          `  triggers  ${p.enabled ? '' : '(paused) '}${triggersOf(p)}; ${p.cooldownSeconds ? `at most one execution per ${durationText(p.cooldownSeconds)}` : 'no cooldown'}`,
        ];
        for (const e of r.executions.slice(0, 5)) lines.push('', describeExecution(e));
        if (!r.executions.length) lines.push('', `Never run. Retrain now: mlwb policies run ${p.name}`);
        return lines.join('\n');
      });
      return 0;
    }
    case 'add': {
      const { values, positionals } = parse({ name: { type: 'string' }, ...settingFlags });
      if (positionals.length !== 1) throw new UsageError(policiesHelp);
      const { policy } = await api.call('policies.add', {
        deployment: positionals[0]!,
        name: values.name as string | undefined,
        ...settingsOf(values),
        newData: values['new-data'] === true,
      });
      out.result({ policy }, () =>
        [
          `${policy.name} retrains ${policy.model} for ${policy.deployment} (${triggersOf({ ...policy })}).`,
          `  Retrain now: mlwb policies run ${policy.name}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'update': {
      const { name, values } = one('update NAME [flags] (mlwb policies help)', {
        ...settingFlags,
        'no-monitor': { type: 'boolean' },
        'any-rule': { type: 'boolean' },
        'no-new-data': { type: 'boolean' },
        'unset-param': { type: 'string', multiple: true },
        'default-engine': { type: 'boolean' },
        'no-evaluate': { type: 'boolean' },
        'remove-dataset': { type: 'string', multiple: true },
      });
      for (const [a, b] of [
        ['monitor', 'no-monitor'],
        ['rule', 'any-rule'],
        ['new-data', 'no-new-data'],
        ['engine', 'default-engine'],
        ['evaluate', 'no-evaluate'],
      ] as const)
        if (values[a] !== undefined && values[b]) throw new UsageError(`--${a} or --${b}, not both.`);
      const { policy } = await api.call('policies.update', {
        name,
        ...settingsOf(values),
        ...(values['no-monitor'] ? { monitor: null } : {}),
        ...(values['any-rule'] ? { rules: null } : {}),
        newData: values['new-data'] ? true : values['no-new-data'] ? false : undefined,
        unsetParams: values['unset-param'] as string[] | undefined,
        removeChannels: values['remove-dataset'] as string[] | undefined,
        ...(values['default-engine'] ? { engine: null } : {}),
        ...(values['no-evaluate'] ? { evaluation: null } : {}),
      });
      out.result(
        { policy },
        () => `${policy.name}${policy.enabled ? '' : ' (paused)'}: ${settingsLine(policy)}`,
      );
      return 0;
    }
    case 'pause':
    case 'resume': {
      const { name } = one(`${sub} NAME`);
      const { policy } = await api.call('policies.update', { name, enabled: sub === 'resume' });
      out.result({ policy }, () =>
        sub === 'pause'
          ? `${name} is paused: alerts and new data no longer retrain. Retrain by hand with mlwb policies run ${name}; resume with mlwb policies resume ${name}.`
          : `${name} retrains again on ${triggersOf(policy)}.`,
      );
      return 0;
    }
    case 'remove': {
      const { name } = one('remove NAME');
      const r = await api.call('policies.remove', { name });
      out.result(r, () => (r.removed ? `${name} removed.` : `No policy named ${name}: nothing to remove.`));
      return 0;
    }
    case 'run': {
      const { name, values } = one('run NAME [--if-triggered]', { 'if-triggered': { type: 'boolean' } });
      const r = await api.call(
        'policies.run',
        { name, ifTriggered: values['if-triggered'] === true },
        { signal, onProgress: progressOf(out) },
      );
      out.progressDone();
      out.result(r, () => (r.execution ? describeExecution(r.execution) : (r.reason ?? '')));
      const status = r.execution?.status;
      if (status === 'rejected') throw new CheckFailed(r);
      if (status === 'failed')
        throw new FailedWithResult(
          r.execution!.steps.find((s) => s.state === 'failed')?.message ?? 'the retraining failed',
        );
      return 0;
    }
    default:
      if (sub !== undefined && sub !== 'help' && sub !== '--help')
        throw new UsageError(`unknown policies command "${sub}".\n${policiesHelp}`);
      out.result({ help: policiesHelp }, () => policiesHelp);
      return 0;
  }
}
