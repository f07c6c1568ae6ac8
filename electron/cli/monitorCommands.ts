/** `mlwb monitors …`, `mlwb alerts …` and `mlwb labels …`: thin over the API's monitoring methods. */
import { parseArgs } from 'node:util';
import { durationText, parseDuration } from '../../shared/duration.ts';
import type { Alert, Monitor, MonitorRun, MonitorSummary } from '../../shared/monitoring.ts';
import type { Api } from '../core/api.ts';
import {
  CheckFailed,
  FailedWithResult,
  formatTime,
  type Out,
  progressOf,
  table,
  UsageError,
} from './output.ts';
import { subcommandArgs } from './subcommand.ts';

export const monitorsHelp = `Usage: mlwb monitors <command>

  list                          monitors with their last check and firing alerts
  show NAME                     one monitor: settings, recent checks, alerts
  add DEPLOYMENT [--name N] [--window 1h] [--every 5m] [--min-rows N]
                 [--rule "error_rate < 0.05"]… [--no-drift] [--drift-share S]
                 [--reference dataset:NAME[@V][:PATH]|FILE]
                                a monitor of a deployment's traffic: each check reads the last
                                --window of requests, tests their features for drift against
                                the model's training data (found through its lineage, or
                                --reference), and checks the rules; the app checks it every
                                --every (0: only \`monitors run\`)
  update NAME [--window 1h] [--every 5m] [--min-rows N] [--drift|--no-drift] [--drift-share S]
              [--reference REF|--no-reference] [--rule R]… [--add-rule R]… [--remove-rule R]…
                                change a monitor; what is not named stays. --rule replaces the
                                rules, --add-rule and --remove-rule change them one by one;
                                --no-reference goes back to the model's training data. Alerts of
                                rules it no longer checks are resolved
  pause NAME / resume NAME      stop or start the app's scheduled checks (run still works)
  remove NAME                   remove a monitor with its checks and alerts
  run NAME                      check it now; exit 3 when an alert fires or keeps firing

  Rule metrics: requests, rows, errors, error_rate, p50_latency_ms, p95_latency_ms,
  drift_share, drifted_columns, labeled_rows, accuracy, rmse, mae.`;

export const alertsHelp = `Usage: mlwb alerts list [--state firing|resolved] [--monitor NAME]`;

export const labelsHelp = `Usage: mlwb labels add DEPLOYMENT FILE

  Ground truth for logged requests: a CSV or JSON Lines file with request_id and label columns
  (and row, 0-based, for requests that scored several rows). The id is the X-Request-Id every
  answer of the deployment carries (a client may choose it by sending that header). Monitors
  then report accuracy (classifiers) or rmse and mae (regressors) of the labeled requests.`;

/** A duration flag (shared/duration.ts) in seconds; refused, naming the flag, when it is none. */
export function durationSeconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds === null)
    throw new UsageError(`${flag} takes a duration such as 90s, 15m, 1h or 7d (got "${text}").`);
  return seconds;
}

/** The flags `add` and `update` share: a monitor's settings. */
const settingFlags = {
  window: { type: 'string' },
  every: { type: 'string' },
  'min-rows': { type: 'string' },
  rule: { type: 'string', multiple: true },
  'no-drift': { type: 'boolean' },
  'drift-share': { type: 'string' },
  reference: { type: 'string' },
} as const;

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The settings the flags name (undefined where not named). */
function settingsOf(values: FlagValues) {
  const minRows = values['min-rows'] === undefined ? undefined : Number(values['min-rows']);
  if (minRows !== undefined && !(Number.isInteger(minRows) && minRows > 0))
    throw new UsageError('--min-rows needs a whole number ≥ 1.');
  const driftShare = values['drift-share'] === undefined ? undefined : Number(values['drift-share']);
  if (driftShare !== undefined && !(driftShare >= 0 && driftShare <= 1))
    throw new UsageError('--drift-share needs a share from 0 to 1.');
  return {
    windowSeconds: durationSeconds(values.window as string | undefined, '--window'),
    everySeconds: durationSeconds(values.every as string | undefined, '--every'),
    minRows,
    drift: values['no-drift'] ? false : undefined,
    driftShare,
    reference: values.reference as string | undefined,
    rules: values.rule as string[] | undefined,
  };
}

/** A changed monitor in a line or two: what it checks now, and the alerts the change resolved. */
function updatedLine(m: Monitor, resolved: string[]): string {
  const checks = [
    ...(m.drift ? [`drift against ${m.reference ?? "the model's training data"}`] : []),
    ...m.rules.map((r) => r.text),
  ];
  return [
    `${m.name}${m.enabled ? '' : ' (paused)'}: window ${durationText(m.windowSeconds)}, ${m.everySeconds ? `every ${durationText(m.everySeconds)}` : 'by hand'}; checks ${checks.join('; ')}.`,
    ...(resolved.length ? [`Resolved, as it no longer checks them: ${resolved.join('; ')}.`] : []),
  ].join('\n');
}

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;
const num = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined ? '-' : Number.isInteger(x) ? `${x}` : x.toPrecision(digits);

function describeRun(r: MonitorRun): string {
  const m = r.metrics;
  const lines = [
    `${r.monitor}  ${r.status}  ${formatTime(r.at)}  window ${formatTime(r.from)} → ${formatTime(r.to)}`,
    `  traffic   ${num(m.requests)} requests, ${num(m.rows)} rows, error rate ${pct(m.error_rate)}, p50 ${num(m.p50_latency_ms)} ms, p95 ${num(m.p95_latency_ms)} ms`,
  ];
  if (m.drift_share !== null && m.drift_share !== undefined)
    lines.push(
      `  drift     ${num(m.drifted_columns)} features drifted (${pct(m.drift_share)}) against ${r.reference}; report ${r.driftReport}`,
    );
  if (m.labeled_rows)
    lines.push(
      `  labeled   ${num(m.labeled_rows)} rows${m.accuracy !== null ? `, accuracy ${num(m.accuracy)}` : ''}${m.rmse !== null ? `, rmse ${num(m.rmse)}, mae ${num(m.mae)}` : ''}`,
    );
  for (const c of r.checks)
    lines.push(
      `  ${c.passed === null ? 'not checked' : c.passed ? 'holds      ' : 'FAILS      '} ${c.rule}${c.value !== null ? ` (${num(c.value)})` : ''}${c.note ? `: ${c.note}` : ''}`,
    );
  if (r.note) lines.push(`  note      ${r.note}`);
  return lines.join('\n');
}

function alertsTable(alerts: Alert[]): string {
  return table(
    ['STATE', 'MONITOR', 'RULE', 'FIRED', 'RESOLVED', 'MESSAGE'],
    alerts.map((a) => [
      a.state,
      a.monitor,
      a.rule,
      formatTime(a.firedAt),
      a.resolvedAt ? formatTime(a.resolvedAt) : '-',
      a.message,
    ]),
  );
}

function lastOf(m: MonitorSummary): string {
  return m.lastRun ? `${m.lastRun.status} ${formatTime(m.lastRun.at)}` : 'not checked yet';
}

export async function monitorsCommand(
  api: Api,
  rest: string[],
  out: Out,
  signal: AbortSignal,
): Promise<number> {
  const [sub, ...args] = rest;
  const { parse, one } = subcommandArgs('monitors', args);
  switch (sub) {
    case 'list': {
      parse();
      const { monitors } = await api.call('monitors.list', {});
      out.list('monitors', monitors, () =>
        monitors.length
          ? table(
              ['NAME', 'DEPLOYMENT', 'WINDOW', 'EVERY', 'LAST CHECK', 'FIRING'],
              monitors.map((m) => [
                m.name,
                m.deployment,
                durationText(m.windowSeconds),
                `${m.everySeconds ? durationText(m.everySeconds) : 'by hand'}${m.enabled ? '' : ' (paused)'}`,
                lastOf(m),
                m.firing,
              ]),
            )
          : 'No monitors yet. Watch a deployment with `mlwb monitors add DEPLOYMENT`.',
      );
      return 0;
    }
    case 'show': {
      const { name } = one('show NAME');
      const r = await api.call('monitors.get', { name });
      out.result(r, () => {
        const m = r.monitor;
        const lines = [
          `${m.name}  watches ${m.deployment}  window ${durationText(m.windowSeconds)}  every ${m.everySeconds ? durationText(m.everySeconds) : '(by hand)'}${m.enabled ? '' : '  (paused)'}`,
          `  drift     ${m.drift ? `against ${m.reference ?? "the model's training data"}, dataset drift at ${pct(m.driftShare)} of the features, from ${m.minRows} rows` : 'not tested'}`,
          `  rules     ${m.rules.map((x) => x.text).join('; ') || '(none)'}`,
        ];
        if (r.runs[0]) lines.push('', describeRun(r.runs[0]));
        if (r.alerts.length) lines.push('', alertsTable(r.alerts.slice(0, 20)));
        return lines.join('\n');
      });
      return 0;
    }
    case 'add': {
      const { values, positionals } = parse({ name: { type: 'string' }, ...settingFlags });
      if (positionals.length !== 1) throw new UsageError(monitorsHelp);
      const { rules, ...settings } = settingsOf(values);
      const { monitor } = await api.call('monitors.add', {
        deployment: positionals[0]!,
        name: values.name as string | undefined,
        ...settings,
        rules: rules ?? [],
      });
      out.result(
        { monitor },
        () =>
          `${monitor.name} watches ${monitor.deployment}. Check it now: mlwb monitors run ${monitor.name}`,
      );
      return 0;
    }
    case 'update': {
      const { name, values } = one('update NAME [flags] (mlwb monitors help)', {
        ...settingFlags,
        drift: { type: 'boolean' },
        'no-reference': { type: 'boolean' },
        'add-rule': { type: 'string', multiple: true },
        'remove-rule': { type: 'string', multiple: true },
      });
      if (values.drift && values['no-drift']) throw new UsageError('--drift or --no-drift, not both.');
      if (values.reference && values['no-reference'])
        throw new UsageError('--reference or --no-reference, not both.');
      const r = await api.call('monitors.update', {
        name,
        ...settingsOf(values),
        ...(values.drift ? { drift: true } : {}),
        ...(values['no-reference'] ? { reference: null } : {}),
        addRules: values['add-rule'] as string[] | undefined,
        removeRules: values['remove-rule'] as string[] | undefined,
      });
      out.result(r, () => updatedLine(r.monitor, r.resolved));
      return 0;
    }
    case 'pause':
    case 'resume': {
      const { name } = one(`${sub} NAME`);
      const r = await api.call('monitors.update', { name, enabled: sub === 'resume' });
      out.result(r, () =>
        sub === 'pause'
          ? `${name} is paused: the app no longer checks it on its own. Check it by hand with mlwb monitors run ${name}; resume with mlwb monitors resume ${name}.`
          : `${name} is checked ${r.monitor.everySeconds ? `every ${durationText(r.monitor.everySeconds)}` : 'only by hand (--every 0)'} again.`,
      );
      return 0;
    }
    case 'remove': {
      const { name } = one('remove NAME');
      const r = await api.call('monitors.remove', { name });
      out.result(r, () => (r.removed ? `${name} removed.` : `No monitor named ${name}: nothing to remove.`));
      return 0;
    }
    case 'run': {
      const { name } = one('run NAME');
      const run = await api.call('monitors.run', { name }, { signal, onProgress: progressOf(out) });
      out.progressDone();
      out.result(run, () => describeRun(run));
      if (run.status === 'alerting') throw new CheckFailed(run);
      if (run.status === 'failed') throw new FailedWithResult(run.note ?? 'the check failed');
      return 0;
    }
    default:
      if (sub !== undefined && sub !== 'help' && sub !== '--help')
        throw new UsageError(`unknown monitors command "${sub}".\n${monitorsHelp}`);
      out.result({ help: monitorsHelp }, () => monitorsHelp);
      return 0;
  }
}

export async function alertsCommand(api: Api, rest: string[], out: Out): Promise<number> {
  const [sub, ...args] = rest;
  if (sub !== 'list') {
    if (sub !== undefined && sub !== 'help' && sub !== '--help')
      throw new UsageError(`unknown alerts command "${sub}".\n${alertsHelp}`);
    out.result({ help: alertsHelp }, () => alertsHelp);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { state: { type: 'string' }, monitor: { type: 'string' } },
  });
  if (positionals.length) throw new UsageError(alertsHelp);
  if (values.state !== undefined && values.state !== 'firing' && values.state !== 'resolved')
    throw new UsageError('--state is firing or resolved.');
  const { alerts } = await api.call('alerts.list', {
    state: values.state as 'firing' | 'resolved' | undefined,
    monitor: values.monitor as string | undefined,
  });
  out.list('alerts', alerts, () =>
    alerts.length ? alertsTable(alerts) : values.state === 'firing' ? 'No alert is firing.' : 'No alerts.',
  );
  return 0;
}

export async function labelsCommand(api: Api, rest: string[], out: Out): Promise<number> {
  const [sub, ...args] = rest;
  if (sub !== 'add') {
    if (sub !== undefined && sub !== 'help' && sub !== '--help')
      throw new UsageError(`unknown labels command "${sub}".\n${labelsHelp}`);
    out.result({ help: labelsHelp }, () => labelsHelp);
    return 0;
  }
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
  if (positionals.length !== 2) throw new UsageError(labelsHelp);
  const r = await api.call('labels.add', { deployment: positionals[0]!, path: positionals[1]! });
  out.result(r, () => {
    const lines = [`${r.read} labels read; ${r.matched} name requests ${positionals[0]} logged.`];
    if (r.unmatchedIds.length)
      lines.push(
        `  Not logged (yet): ${r.unmatchedIds.join(', ')}${r.read - r.matched > r.unmatchedIds.length ? ', …' : ''}. They are kept, and count once those requests are in the log.`,
      );
    return lines.join('\n');
  });
  return 0;
}
