/** `mlwb model …`: the model registry, thin over the API. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { formatModelRef, parseModelRef } from '../../shared/modelRef.ts';
import type { EvaluationRecord, GateOutcome, ModelVersion, TensorSpec } from '../../shared/registry.ts';
import type { Api } from '../core/api.ts';
import { parseRef } from './datasetCommands.ts';
import { CheckFailed, formatTime, type Out, table, UsageError } from './output.ts';

export const modelHelp = `Usage: mlwb model <command>

  register RUN_ID --name NAME [--path model/model.onnx] [--label COL | --features A,B,…]
                                      make the run's ONNX file the model's next version
  list                                models with their latest version, aliases, latest evaluation
  show NAME | NAME@V | NAME@ALIAS     a model (versions, alias history, gates), or one version
                                      (signature, feature spec, lineage, evaluations)
  evaluate NAME@V|NAME@ALIAS --dataset NAME[@V] [--path FILE] [--label COL]
                                      metrics of the version on a dataset table (stored)
  alias NAME VERSION ALIAS [--force --reason TEXT]
                                      point an alias at a version; exit 3 when its gate refuses
  unalias NAME ALIAS                  remove an alias (recorded in its history)
  gate NAME ALIAS --dataset NAME[@V] [--path FILE] --label COL --rule "accuracy >= 0.9"…
                                      set the rules a version must pass to take ALIAS; a rule
                                      may compare with the version holding it now:
                                      "f1 >= champion.f1 - 0.01", "rmse <= champion.rmse * 1.05"
  gate NAME ALIAS --remove            remove the gate
  describe NAME[@V] TEXT              set the description of a model or a version
  tag NAME[@V] KEY=VALUE | --delete KEY
  delete NAME@V                       delete a version (refused while it holds an alias)
  package NAME@V|NAME@ALIAS [--tag REPO[:TAG]] [--engine E]
                                      build the version's model server image, offline (an
                                      image already built from the same parts is reused)`;

function versionRef(ref: string): { name: string; version?: number; alias?: string } {
  const r = parseModelRef(ref);
  if (!r.name) throw new UsageError(`"${ref}" does not name a model.`);
  return r;
}

/**
 * NAME (the model itself) or NAME@V (one version): what describe and tag act on. An alias or
 * `@latest` would silently land on whichever version it names today, so it is refused.
 */
function numberedRef(text: string, verb: string): { name: string; version?: number } {
  const ref = versionRef(text);
  if (ref.alias !== undefined || (ref.version === undefined && text.includes('@')))
    throw new UsageError(`${verb} a version by its number (NAME@3), or the model by its name alone.`);
  return ref;
}

const shape = (t: TensorSpec) => `${t.name} ${t.type} [${t.shape.join(', ')}]`;

function describeVersion(v: ModelVersion): string {
  const lines = [
    `${v.name}@${v.version}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}  ${v.task ?? 'task unknown'}  sha256 ${v.sha256.slice(0, 16)}…`,
    `  source   ${v.source}`,
    ...v.inputs.map(
      (t) => `  input    ${shape(t)}${v.features[t.name] ? ` ← ${v.features[t.name]!.join(', ')}` : ''}`,
    ),
    ...v.outputs.map((t) => `  output   ${shape(t)}`),
  ];
  if (v.label) lines.push(`  label    ${v.label}${v.classes ? ` (classes ${v.classes.join(', ')})` : ''}`);
  if (v.lineage) {
    const l = v.lineage;
    lines.push(
      `  run      ${l.runId} (${l.runName})`,
      `  recipe   ${l.recipeName ?? '?'} ${l.recipeDigest?.slice(0, 12) ?? ''}`,
      `  image    ${l.image ?? '?'} ${l.imageDigest?.slice(0, 19) ?? ''}`,
      ...l.datasets.map((d) => `  data     ${d.channel}=${d.dataset}@${d.version} ${d.digest.slice(0, 12)}`),
      `  params   ${
        Object.entries(l.params)
          .map(([k, x]) => `${k}=${x}`)
          .join(' ') || '-'
      }  seed ${l.seed ?? '-'}`,
    );
  }
  if (v.description) lines.push(`  ${v.description}`);
  return lines.join('\n');
}

function metricsLine(m: Record<string, unknown>): string {
  return Object.entries(m)
    .map(([k, x]) => `${k}=${typeof x === 'number' && !Number.isInteger(x) ? x.toPrecision(6) : x}`)
    .join('  ');
}

function gateLines(g: GateOutcome): string[] {
  return g.rules.map(
    (r) =>
      `  ${r.passed ? 'pass' : 'FAIL'}  ${r.rule}: ${r.metric} = ${r.value ?? 'none'}${r.threshold !== null ? `, threshold ${r.threshold}` : ''}${r.note ? ` (${r.note})` : ''}`,
  );
}

/** The JSON of an evaluation a CI job reads: identity and metrics, not the curves. */
function evaluationJson(e: EvaluationRecord) {
  const { details: _details, ...rest } = e;
  return rest;
}

export async function modelCommand(api: Api, argv: string[], out: Out, signal: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  const args = (options: ParseArgsConfig['options'] = {}) =>
    parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  switch (sub) {
    case 'register': {
      const { values, positionals } = args({
        name: { type: 'string' },
        path: { type: 'string' },
        label: { type: 'string' },
        features: { type: 'string' },
        description: { type: 'string' },
      });
      const [runId] = positionals;
      if (!runId || !values.name || positionals.length > 1)
        throw new UsageError(
          'usage: mlwb model register RUN_ID --name NAME [--path FILE] [--label COL | --features A,B,…]',
        );
      if (values.label && values.features) throw new UsageError('give --label or --features, not both.');
      const r = await api.call('models.register', {
        runId,
        name: values.name as string,
        path: values.path as string | undefined,
        label: values.label as string | undefined,
        features: values.features ? (values.features as string).split(',').map((f) => f.trim()) : undefined,
        description: (values.description as string | undefined) ?? '',
      });
      out.result(r, () =>
        [
          `${r.name} version ${r.version} registered (sha256 ${r.sha256.slice(0, 16)}…)`,
          ...r.inputs.map((t) => `  input  ${shape(t)} ← ${(r.features[t.name] ?? []).join(', ')}`),
          ...r.outputs.map((t) => `  output ${shape(t)}`),
        ].join('\n'),
      );
      return 0;
    }
    case 'list': {
      args();
      const r = await api.call('models.list', {});
      out.list('models', r, () =>
        r.length === 0
          ? 'No models yet. Train a run (mlwb run RECIPE_DIR --dataset NAME), then: mlwb model register RUN_ID --name NAME'
          : table(
              ['NAME', 'LATEST', 'ALIASES', 'EVALUATION', 'UPDATED'],
              r.map((m) => [
                m.name,
                m.latestVersion ?? '-',
                Object.entries(m.aliases)
                  .map(([a, v]) => `${a}→${v}`)
                  .join(' ') || '-',
                m.latestEvaluation
                  ? `v${m.latestEvaluation.version} ${m.latestEvaluation.metric}=${metricsLine({ x: m.latestEvaluation.value }).slice(2)} on ${m.latestEvaluation.dataset}`
                  : '-',
                formatTime(m.updatedAt),
              ]),
            ),
      );
      return 0;
    }
    case 'show': {
      const { positionals } = args();
      if (positionals.length !== 1) throw new UsageError('usage: mlwb model show NAME[@V|@ALIAS]');
      const ref = versionRef(positionals[0]!);
      if (ref.version === undefined && ref.alias === undefined && !positionals[0]!.includes('@')) {
        const r = await api.call('models.get', { name: ref.name });
        out.result(r, () =>
          [
            `${r.model.name}: ${r.model.versions} version${r.model.versions === 1 ? '' : 's'}${r.model.description ? ` — ${r.model.description}` : ''}`,
            r.versions.length
              ? table(
                  ['VERSION', 'ALIASES', 'TASK', 'RUN', 'CREATED'],
                  r.versions.map((v) => [
                    v.version,
                    v.aliases.join(' ') || '-',
                    v.task ?? '-',
                    v.runId ?? '-',
                    formatTime(v.createdAt),
                  ]),
                )
              : 'No versions.',
            ...(r.gates.length ? ['Gates:'] : []),
            ...r.gates.map(
              (g) =>
                `  ${g.alias}: on ${g.dataset}${g.datasetVersion ? `@${g.datasetVersion}` : ' (latest)'}${g.path ? `:${g.path}` : ''}, label ${g.label}: ${g.rules.map((x) => x.text).join('; ')}`,
            ),
            ...(r.history.length ? ['Alias history:'] : []),
            ...r.history.map(
              (h) =>
                `  ${formatTime(h.at)}  ${h.alias}: ${h.from ?? '-'} → ${h.to ?? '-'}  ${h.kind}${h.reason ? `: ${h.reason}` : ''}`,
            ),
          ].join('\n'),
        );
        return 0;
      }
      const r = await api.call('models.version', ref);
      out.result({ ...r, evaluations: r.evaluations.map(evaluationJson) }, () =>
        [
          describeVersion(r.version),
          ...r.evaluations.map(
            (e) =>
              `  evaluated on ${e.dataset}@${e.datasetVersion}:${e.path} (${e.label}): ${metricsLine(e.metrics)}`,
          ),
        ].join('\n'),
      );
      return 0;
    }
    case 'evaluate': {
      const { values, positionals } = args({
        dataset: { type: 'string' },
        path: { type: 'string' },
        label: { type: 'string' },
      });
      if (positionals.length !== 1 || !values.dataset)
        throw new UsageError(
          'usage: mlwb model evaluate NAME@V|NAME@ALIAS --dataset NAME[@V] [--path FILE] [--label COL]',
        );
      const ref = versionRef(positionals[0]!);
      const data = parseRef(values.dataset as string);
      const r = await api.call(
        'models.evaluate',
        {
          ...ref,
          dataset: data.name,
          datasetVersion: data.version,
          path: values.path as string | undefined,
          label: values.label as string | undefined,
        },
        {
          signal,
          onProgress: (p) =>
            out.progress(`${p.phase}: ${p.total ? `${p.done} of ${p.total} rows` : (p.message ?? '')}`),
        },
      );
      out.progressDone();
      out.result(
        evaluationJson(r),
        () =>
          `${r.name}@${r.version} on ${r.dataset}@${r.datasetVersion}:${r.path} (label ${r.label})\n  ${metricsLine(r.metrics)}`,
      );
      return 0;
    }
    case 'package': {
      const { values, positionals } = args({ tag: { type: 'string' }, engine: { type: 'string' } });
      if (positionals.length !== 1)
        throw new UsageError('usage: mlwb model package NAME@V|NAME@ALIAS [--tag REPO[:TAG]] [--engine E]');
      const r = await api.call(
        'models.package',
        {
          ...versionRef(positionals[0]!),
          tag: values.tag as string | undefined,
          engine: values.engine as string | undefined,
        },
        {
          signal,
          onProgress: (p) =>
            out.progress(
              `${p.phase}${p.total ? ` step ${p.done + 1} of ${p.total}` : ''}${p.message ? `: ${p.message}` : ''}`,
            ),
        },
      );
      out.progressDone();
      out.result(
        r,
        () =>
          `${r.image}${r.reused ? ' (already built, reused)' : ''}\n  id    ${r.imageId.slice(0, 19)}\n  size  ${(r.sizeBytes / 1e6).toFixed(0)} MB${values.tag ? `\n  also  ${values.tag}` : ''}`,
      );
      return 0;
    }
    case 'alias': {
      const { values, positionals } = args({ force: { type: 'boolean' }, reason: { type: 'string' } });
      const [name, version, alias] = positionals;
      if (!name || !version || !alias || positionals.length !== 3 || !/^[1-9][0-9]*$/.test(version))
        throw new UsageError('usage: mlwb model alias NAME VERSION ALIAS [--force --reason TEXT]');
      if (values.reason && !values.force) throw new UsageError('--reason goes with --force.');
      const r = await api.call(
        'models.setAlias',
        {
          name,
          version: Number(version),
          alias,
          force: Boolean(values.force),
          reason: values.reason as string | undefined,
        },
        { signal, onProgress: (p) => out.progress(`checking the gate: ${p.message ?? p.phase}`) },
      );
      out.progressDone();
      out.result(r, () => {
        const ref = formatModelRef({ name, alias });
        if (!r.moved && r.gate)
          return [
            `${ref} stays at ${r.from ?? 'no version'}: version ${version} did not pass the gate on ${r.gate.dataset}@${r.gate.datasetVersion}.`,
            ...gateLines(r.gate),
            'Improve the model, change the gate (mlwb model gate), or move it anyway with --force --reason TEXT.',
          ].join('\n');
        if (!r.moved) return `${ref} already points at version ${version}.`;
        return [
          `${ref}: ${r.from ?? '-'} → ${r.to} (${r.kind})`,
          ...(r.gate ? gateLines(r.gate) : []),
          ...r.followed.map((f) =>
            f.outcome === 'replaced'
              ? `  deployment ${f.deployment} now serves version ${r.to}`
              : f.outcome === 'failed'
                ? `  deployment ${f.deployment} was not replaced: ${f.reason ?? 'unknown reason'}`
                : `  deployment ${f.deployment} kept its version: ${f.reason ?? 'the new one did not become ready'}`,
          ),
        ].join('\n');
      });
      if (!r.moved && r.gate) throw new CheckFailed(r);
      return 0;
    }
    case 'unalias': {
      const { positionals } = args();
      const [name, alias] = positionals;
      if (!name || !alias || positionals.length !== 2)
        throw new UsageError('usage: mlwb model unalias NAME ALIAS');
      const r = await api.call('models.removeAlias', { name, alias });
      out.result(r, () => (r.removed ? `${name}@${alias} removed.` : `${name} has no alias ${alias}.`));
      return 0;
    }
    case 'gate': {
      const { values, positionals } = args({
        dataset: { type: 'string' },
        path: { type: 'string' },
        label: { type: 'string' },
        rule: { type: 'string', multiple: true },
        remove: { type: 'boolean' },
      });
      const [name, alias] = positionals;
      const usage =
        'usage: mlwb model gate NAME ALIAS --dataset NAME[@V] --label COL --rule "METRIC OP VALUE"… | --remove';
      if (!name || !alias || positionals.length !== 2) throw new UsageError(usage);
      if (values.remove) {
        const r = await api.call('models.removeGate', { name, alias });
        out.result(r, () =>
          r.removed ? `The gate on ${name}@${alias} is removed.` : `${name}@${alias} has no gate.`,
        );
        return 0;
      }
      if (!values.dataset || !values.label || !(values.rule as string[] | undefined)?.length)
        throw new UsageError(usage);
      const data = parseRef(values.dataset as string);
      const r = await api.call('models.setGate', {
        name,
        alias,
        dataset: data.name,
        datasetVersion: data.version,
        path: values.path as string | undefined,
        label: values.label as string,
        rules: values.rule as string[],
      });
      out.result(r, () =>
        [
          `${name}@${alias} is now guarded on ${r.dataset}${r.datasetVersion ? `@${r.datasetVersion}` : ' (its latest version)'}:`,
          ...r.rules.map((x) => `  ${x.text}`),
        ].join('\n'),
      );
      return 0;
    }
    case 'describe': {
      const { positionals } = args();
      const [refText, ...words] = positionals;
      if (!refText || !words.length) throw new UsageError('usage: mlwb model describe NAME[@V] TEXT');
      const ref = numberedRef(refText, 'describe');
      await api.call('models.update', { name: ref.name, version: ref.version, description: words.join(' ') });
      out.result({}, () => `${refText}: description set.`);
      return 0;
    }
    case 'tag': {
      const { values, positionals } = args({ delete: { type: 'string' } });
      const [refText, kv] = positionals;
      if (!refText || (!kv && !values.delete) || (kv && values.delete))
        throw new UsageError('usage: mlwb model tag NAME[@V] KEY=VALUE | --delete KEY');
      const ref = numberedRef(refText, 'tag');
      if (values.delete) {
        const r = await api.call('models.deleteTag', {
          name: ref.name,
          version: ref.version,
          key: values.delete as string,
        });
        out.result(r, () => (r.deleted ? 'Tag deleted.' : 'No such tag.'));
        return 0;
      }
      const eq = kv!.indexOf('=');
      if (eq < 1) throw new UsageError(`"${kv}" is not KEY=VALUE.`);
      await api.call('models.setTag', {
        name: ref.name,
        version: ref.version,
        key: kv!.slice(0, eq),
        value: kv!.slice(eq + 1),
      });
      out.result({}, () => `${refText}: ${kv}`);
      return 0;
    }
    case 'delete': {
      const { positionals } = args();
      const ref = positionals.length === 1 ? versionRef(positionals[0]!) : undefined;
      if (!ref || ref.version === undefined) throw new UsageError('usage: mlwb model delete NAME@V');
      await api.call('models.deleteVersion', { name: ref.name, version: ref.version });
      out.result({}, () => `${ref.name}@${ref.version} deleted.`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown model command "${sub}". Run mlwb model --help.` : modelHelp);
  }
}
