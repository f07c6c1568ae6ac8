/** `mlwb run …` and `mlwb runs …`: training runs from a terminal or a CI pipeline. */
import { parseArgs } from 'node:util';
import type { RunSummary } from '../../shared/tracking.ts';
import type { Api } from '../core/api.ts';
import { cancelled } from '../core/errors.ts';
import { formatTime, type Out, table, UsageError } from './output.ts';
import { detachRuns, type Supervisor, spawnSupervisor, superviseCommand } from './runSupervisor.ts';

export const runHelp = `Usage: mlwb run RECIPE_DIR --dataset [CHANNEL=]NAME[@V]… [--param K=V]… [--sweep K=V1,V2…]…
                [--random N] [--parallel N] [--seed N] [--memory 2g] [--cpus 1] [--gpus N] [--engine NAME] [--detach]
           waits for the runs and prints them; exit 1 when one did not finish.
           --detach: prints the queued runs at once; they go on with no foreground process (closing
           the terminal does not stop them). Follow with runs logs ID --follow, wait with runs wait.
       mlwb runs list [--filter "metrics.acc > 0.9 and params.lr = '0.01'" | --saved NAME] [--order-by "metrics.acc DESC"]
       mlwb runs show ID | logs ID [--follow] | cancel ID | rerun ID [--param K=V]… [--detach]
       mlwb runs wait ID…   waits for the runs to end; exit 0 when all FINISHED, else 3
       mlwb engines list | add NAME HOST [--tls-verify] [--cert-path DIR] [--identity-file KEY] | remove NAME`;

export async function enginesCommand(api: Api, argv: string[], out: Out): Promise<number> {
  const [sub = 'list', ...rest] = argv;
  if (sub === 'list') {
    const engines = await api.call('engines.list', {});
    const rows = await Promise.all(
      engines.map(async (e) => ({ ...e, status: await api.call('engine.status', { name: e.name }) })),
    );
    out.list('engines', rows, () =>
      table(
        ['NAME', 'HOST', 'STATUS'],
        rows.map((e) => [
          e.name,
          e.host,
          e.status.reachable ? `Docker ${e.status.version}` : 'not reachable',
        ]),
      ),
    );
    return 0;
  }
  if (sub === 'add') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        'tls-verify': { type: 'boolean' },
        'cert-path': { type: 'string' },
        'identity-file': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 2)
      throw new UsageError(
        'usage: mlwb engines add NAME HOST [--tls-verify] [--cert-path DIR] [--identity-file KEY]',
      );
    const r = await api.call('engines.add', {
      name: positionals[0]!,
      host: positionals[1]!,
      tlsVerify: Boolean(values['tls-verify']),
      certPath: values['cert-path'],
      identityFile: values['identity-file'],
    });
    out.result(
      r,
      () => `Added ${positionals[0]}: ${r.status.reachable ? `Docker ${r.status.version}` : r.status.error}`,
    );
    return 0;
  }
  if (sub === 'remove') {
    if (rest.length !== 1) throw new UsageError('usage: mlwb engines remove NAME');
    const r = await api.call('engines.remove', { name: rest[0]! });
    out.result(r, () => (r.removed ? `Removed ${rest[0]}.` : `No engine named ${rest[0]}.`));
    return r.removed ? 0 : 1;
  }
  throw new UsageError(runHelp);
}

/** [CHANNEL=]NAME[@V]; the channel defaults to "train". */
export function parseDatasetArg(raw: string): { channel: string; dataset: string; version?: number } {
  const eq = raw.indexOf('=');
  const channel = eq > 0 ? raw.slice(0, eq) : 'train';
  const ref = eq > 0 ? raw.slice(eq + 1) : raw;
  const at = ref.lastIndexOf('@');
  if (at < 0) return { channel, dataset: ref };
  const v = ref.slice(at + 1);
  if (!/^[1-9][0-9]*$/.test(v))
    throw new UsageError(`--dataset ${raw}: the version after @ must be a number.`);
  return { channel, dataset: ref.slice(0, at), version: Number(v) };
}

/** `--FLAG K=V`, repeated, as one record. */
export function keyValues(flag: string, list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of list ?? []) {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} takes K=V, not "${raw}".`);
    out[raw.slice(0, eq)] = raw.slice(eq + 1);
  }
  return out;
}

const fmt = (v: unknown) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v ?? '-');

/** How `run`, `rerun` and `runs wait` print runs: `{runs:[{id, status, params, metrics}]}`. */
function printRuns(out: Out, runs: RunSummary[], footer?: string): void {
  out.result(
    { runs: runs.map((r) => ({ id: r.id, status: r.status, params: r.params, metrics: r.metrics })) },
    () =>
      table(
        ['RUN', 'STATUS', 'PARAMS', 'METRICS'],
        runs.map((r) => [
          r.id,
          r.status,
          Object.entries(r.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
          Object.entries(r.metrics)
            .map(([k, v]) => `${k}=${fmt(v)}`)
            .join(' '),
        ]),
      ) + (footer ? `\n${footer}` : ''),
  );
}

async function getRuns(api: Api, ids: string[]): Promise<RunSummary[]> {
  return Promise.all(ids.map(async (id) => (await api.call('runs.get', { id })).run));
}

/**
 * Waits in the foreground. Ctrl+C stops waiting: the runs not ended yet, queued ones included, go
 * to a background supervisor, which takes them over once this process has let go of them.
 */
async function waitForRuns(
  api: Api,
  ids: string[],
  out: Out,
  signal: AbortSignal,
  parallel?: number,
): Promise<RunSummary[]> {
  try {
    const { runs } = await api.call(
      'runs.wait',
      { ids, adopt: true, parallel },
      { signal, onProgress: (p) => out.progress(`runs: ${p.done}/${p.total ?? ids.length} ended…`) },
    );
    out.progressDone();
    return runs;
  } catch (err) {
    out.progressDone();
    if (!signal.aborted) throw err;
    const left = (await getRuns(api, ids)).filter((r) => r.status === 'QUEUED' || r.status === 'RUNNING');
    if (left.length === 0) throw err;
    const { home } = await api.call('app.info', {});
    const supervisor = spawnSupervisor(
      home,
      left.map((r) => r.id),
      parallel ?? 1,
    );
    throw cancelled(
      `Stopped waiting. The ${left.length} run(s) not ended yet go on in the background (supervisor process ${supervisor.pid}, its log ${supervisor.log}); wait for them with: mlwb runs wait ${left.map((r) => r.id).join(' ')}`,
    );
  }
}

const detachedNote = (ids: string[], s: Supervisor) =>
  `The runs go on in the background (supervisor process ${s.pid}, its log ${s.log}).\nWait for them with: mlwb runs wait ${ids.join(' ')}`;

export async function runCommand(api: Api, argv: string[], out: Out, signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string', multiple: true },
      param: { type: 'string', multiple: true },
      sweep: { type: 'string', multiple: true },
      random: { type: 'string' },
      parallel: { type: 'string' },
      seed: { type: 'string' },
      memory: { type: 'string' },
      cpus: { type: 'string' },
      gpus: { type: 'string' },
      experiment: { type: 'string' },
      name: { type: 'string' },
      engine: { type: 'string' },
      detach: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(runHelp);
  const num = (flag: string, s: string | undefined) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new UsageError(`--${flag} needs a number, not "${s}".`);
    return n;
  };
  const sweep: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(keyValues('sweep', values.sweep))) sweep[k] = v.split(',');
  const started = await api.call('runs.start', {
    recipe: positionals[0]!,
    datasets: (values.dataset ?? []).map(parseDatasetArg),
    params: keyValues('param', values.param),
    sweep,
    randomSamples: num('random', values.random),
    parallel: num('parallel', values.parallel),
    seed: num('seed', values.seed),
    resources:
      values.memory || values.cpus || values.gpus
        ? { memory: values.memory, cpus: num('cpus', values.cpus), gpus: num('gpus', values.gpus) }
        : undefined,
    experiment: values.experiment,
    name: values.name,
    engine: values.engine,
    detach: Boolean(values.detach),
  });
  const parallel = num('parallel', values.parallel);
  if (values.detach) {
    const supervisor = await detachRuns(api, started.runs, parallel ?? 1);
    printRuns(out, await getRuns(api, started.runs), detachedNote(started.runs, supervisor));
    return 0;
  }
  const runs = await waitForRuns(api, started.runs, out, signal, parallel);
  printRuns(out, runs);
  return runs.some((r) => r.status === 'FAILED' || r.status === 'LOST' || r.status === 'KILLED') ? 1 : 0;
}

export async function runsCommand(api: Api, argv: string[], out: Out, signal: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  // A CLI process settles runs whose containers ended while nobody was watching.
  await api.call('runs.reconcile', {}).catch(() => {});
  switch (sub) {
    case 'list': {
      const { values } = parseArgs({
        args: rest,
        options: {
          filter: { type: 'string' },
          saved: { type: 'string' },
          'order-by': { type: 'string', multiple: true },
          max: { type: 'string' },
        },
        strict: true,
      });
      if (values.filter !== undefined && values.saved !== undefined)
        throw new UsageError('Give --filter or --saved, not both.');
      let filter = values.filter ?? '';
      if (values.saved !== undefined) {
        const saved = await api.call('filters.list', { scope: 'runs' });
        const found = saved.find((f) => f.name === values.saved);
        if (!found)
          throw new UsageError(
            `No saved filter named "${values.saved}". Saved: ${saved.map((f) => `"${f.name}"`).join(', ') || 'none yet (save one on the Runs page)'}.`,
          );
        filter = found.filter;
      }
      const page = await api.call('runs.search', {
        filter,
        orderBy: values['order-by'] ?? [],
        maxResults: values.max ? Number(values.max) : 1000,
      });
      out.result(page, () =>
        page.runs.length === 0
          ? 'No runs yet. Start one: mlwb run resources/recipes/sklearn-classifier --dataset NAME'
          : table(
              ['RUN', 'NAME', 'STATUS', 'CREATED', 'METRICS'],
              page.runs.map((r) => [
                r.id,
                r.name,
                r.status,
                formatTime(r.createdAt),
                Object.entries(r.metrics)
                  .map(([k, v]) => `${k}=${fmt(v)}`)
                  .join(' '),
              ]),
            ),
      );
      return 0;
    }
    case 'show': {
      const id = one(rest, 'show');
      const r = await api.call('runs.get', { id });
      out.result(r, () =>
        [
          `${r.run.id}  ${r.run.name}  ${r.run.status}${r.detail.failureReason ? ` — ${r.detail.failureReason}` : ''}`,
          `recipe ${r.detail.spec?.recipe.name ?? '-'} (${r.detail.spec?.recipe.digest.slice(0, 12) ?? '-'}), image ${r.detail.spec?.image ?? '-'} ${r.detail.imageDigest?.slice(0, 19) ?? ''}`,
          `params ${Object.entries(r.run.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
          `metrics ${Object.entries(r.run.metrics)
            .map(([k, v]) => `${k}=${fmt(v)}`)
            .join(' ')}`,
          `inputs ${r.detail.inputs.map((i) => `${i.channel}=${i.dataset}@${i.version}`).join(' ') || '-'}`,
          `exit ${r.detail.exitCode ?? '-'}, peak memory ${r.detail.peakMemory ?? '-'} B, engine ${r.detail.engine ?? '-'} ${r.detail.engineVersion ?? ''}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'logs': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { follow: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      });
      const id = one(positionals, 'logs');
      const collected: { stream: 'stdout' | 'stderr'; text: string }[] = [];
      const collect = out.json && !values.follow;
      // The whole log, then (with --follow) what is appended, read on from where we stopped. Each
      // chunk carries the status read before it, so an empty chunk of an ended run is the end.
      let next = 0;
      for (;;) {
        const chunk = await api.call('runs.readLog', { id, from: next });
        next = chunk.next;
        if (collect) collected.push(...chunk.lines);
        else
          for (const l of chunk.lines)
            (l.stream === 'stderr' ? process.stderr : process.stdout).write(`${l.text}\n`);
        if (chunk.lines.length) continue;
        if (!values.follow || (chunk.status !== 'RUNNING' && chunk.status !== 'QUEUED')) break;
        if (signal.aborted) return 0;
        await new Promise((r) => setTimeout(r, 500));
        await api.call('runs.reconcile', {}).catch(() => {});
      }
      if (collect) out.list('lines', collected, () => '');
      return 0;
    }
    case 'cancel': {
      const r = await api.call('runs.cancel', { id: one(rest, 'cancel') });
      out.result(r, () => `Run ${rest[0]} is ${r.status}.`);
      return 0;
    }
    case 'rerun': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { param: { type: 'string', multiple: true }, detach: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      });
      const r = await api.call('runs.rerun', {
        id: one(positionals, 'rerun'),
        params: keyValues('param', values.param),
        detach: Boolean(values.detach),
      });
      if (values.detach) {
        const supervisor = await detachRuns(api, [r.run], 1);
        printRuns(out, await getRuns(api, [r.run]), detachedNote([r.run], supervisor));
        return 0;
      }
      const [run] = await waitForRuns(api, [r.run], out, signal);
      printRuns(out, [run!]);
      return run!.status === 'FINISHED' ? 0 : 1;
    }
    case 'wait': {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true });
      if (!positionals.length) throw new UsageError('usage: mlwb runs wait ID…');
      const runs = await waitForRuns(api, [...new Set(positionals)], out, signal);
      printRuns(out, runs);
      return runs.every((r) => r.status === 'FINISHED') ? 0 : 3;
    }
    // Not in the help: what `--detach` leaves running (see runSupervisor.ts).
    case 'supervise':
      return superviseCommand(api, rest);
    default:
      throw new UsageError(runHelp);
  }
}

function one(args: string[], what: string): string {
  if (args.length !== 1) throw new UsageError(`usage: mlwb runs ${what} ID`);
  return args[0]!;
}
