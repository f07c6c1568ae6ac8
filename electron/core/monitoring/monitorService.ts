/**
 * Monitoring of deployments (DESIGN §7, docs/architecture.md "Monitoring"). A check of a monitor:
 *   1. takes the deployment's new request log lines into the store (requestLogReader.ts);
 *   2. reads the window's traffic: requests, errors, rows, latency quantiles;
 *   3. joins ground-truth labels by request id for realized performance (realized.ts);
 *   4. tests the window's features for drift against the model's training table, found through
 *      the version's lineage (or the monitor's own reference), as a stored drift report;
 *   5. checks the rules, and fires and resolves alerts (monitorRepo.ts).
 * Every check is recorded, also one that could not be made, with why.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type * as z from 'zod';
import { entitiesWritten } from '../../../shared/contract.ts';
import type { DriftInputIdentity } from '../../../shared/drift.ts';
import { parseDuration } from '../../../shared/duration.ts';
import {
  type AddLabelsResult,
  AddMonitorParams,
  type Alert,
  type AlertState,
  alertRules,
  DRIFT_RULE,
  derivedName,
  type LoggedRequest,
  MONITOR_DEFAULTS,
  type Monitor,
  type MonitorRule,
  type MonitorRun,
  type MonitorSettings,
  type MonitorSummary,
  parseMonitorRule,
  type RuleCheck,
  UpdateMonitorParams,
  type UpdateMonitorResult,
} from '../../../shared/monitoring.ts';
import type { ModelVersion } from '../../../shared/registry.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import type { DeploymentRecord } from '../deploy/deploymentRepo.ts';
import type { DeploymentService } from '../deploy/deploymentService.ts';
import type { EngineRegistry } from '../docker/engineRegistry.ts';
import type { ResolvedInput } from '../drift/driftInputs.ts';
import type { DriftService } from '../drift/driftService.ts';
import { cancelled, conflict, invalidInput, notFound } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { newId, now } from '../ids.ts';
import type { OpContext, Operations } from '../ops/operations.ts';
import { every } from '../ops/periodic.ts';
import { compare } from '../registry/gateRules.ts';
import type { RegistryService } from '../registry/registryService.ts';
import { type Db, writeTransaction } from '../store/database.ts';
import { tableFormatOf } from '../tabular/tableFormat.ts';
import { readLabels } from './labelsFile.ts';
import { MonitorRepo, type RuleVerdict, type Window } from './monitorRepo.ts';
import { realizedPerformance, wholeLabels } from './realized.ts';
import { RequestLogReader } from './requestLogReader.ts';
import { type FeatureColumn, writeWindowRows } from './windowExport.ts';

export interface MonitoringDeps {
  home: string;
  db: Db;
  deployments: DeploymentService;
  registry: RegistryService;
  datasets: DatasetService;
  engines: EngineRegistry;
  drift: () => DriftService;
  /** Where the alerts a check fires and resolves are announced (the app's toasts, notifications). */
  events?: EventBus;
}

/** How long monitors' checks are kept, with their reports. */
export const CHECKS_KEPT_DAYS = 90;

/** How often the app looks for monitors that are due. */
const SCHEDULE_TICK_MS = 15_000;

/** How many checks of a monitor its page shows. */
const RUNS_SHOWN = 200;

const fmt = (x: number) => (Number.isInteger(x) ? `${x}` : x.toPrecision(3).replace(/\.?0+$/, ''));

export class MonitorService {
  readonly repo: MonitorRepo;
  private readonly logs: RequestLogReader;
  /** Checks running now in this process, by monitor. */
  private readonly running = new Set<string>();

  constructor(private readonly d: MonitoringDeps) {
    this.repo = new MonitorRepo(d.db);
    this.logs = new RequestLogReader({ home: d.home, db: d.db, engines: d.engines, repo: this.repo });
  }

  list(): MonitorSummary[] {
    return this.repo.summaries();
  }

  get(name: string): { monitor: Monitor; runs: MonitorRun[]; alerts: Alert[] } {
    const { id, ...monitor } = this.repo.get(name);
    return { monitor, runs: this.repo.runs(id, RUNS_SHOWN), alerts: this.repo.alerts({ monitor: name }) };
  }

  add(input: AddMonitorParams): Monitor {
    const p = AddMonitorParams.parse(input);
    this.d.deployments.repo.get(p.deployment);
    const settings = settingsOf(p, {
      ...MONITOR_DEFAULTS,
      reference: null,
      rules: [],
    });
    const { id: _id, ...m } = this.repo.add(
      p.name ?? derivedName(p.deployment, 'monitor'),
      p.deployment,
      settings,
    );
    return m;
  }

  /**
   * Changes a monitor's settings or pauses it. `guard` is told the alert rules it will keep, and
   * refuses (throws) when something still relies on one that goes (a policy retraining on it).
   * Alerts of rules it no longer checks are resolved in the same transaction.
   */
  update(
    input: UpdateMonitorParams,
    guard?: (monitor: string, kept: string[], had: string[]) => void,
  ): UpdateMonitorResult {
    const p = UpdateMonitorParams.parse(input);
    // Read, checked and written at once: a change made meanwhile by another process is not lost.
    return writeTransaction(this.d.db, () => this.updateNow(p, guard));
  }

  private updateNow(
    p: z.output<typeof UpdateMonitorParams>,
    guard?: (monitor: string, kept: string[], had: string[]) => void,
  ): UpdateMonitorResult {
    const { id, ...current } = this.repo.get(p.name);
    if (p.rules && (p.addRules || p.removeRules))
      throw invalidInput(
        'Give the rules whole (--rule) or change them one by one (--add-rule, --remove-rule), not both.',
      );
    let texts = p.rules ?? current.rules.map((r) => r.text);
    for (const text of new Set(p.removeRules ?? [])) {
      const r = parseMonitorRule(text);
      const norm = typeof r === 'string' ? text.trim() : r.text;
      if (!texts.includes(norm))
        throw invalidInput(
          `${p.name} has no rule "${text.trim()}": its rules are ${texts.map((t) => `"${t}"`).join(', ') || '(none)'}.`,
        );
      texts = texts.filter((t) => t !== norm);
    }
    texts = [...texts, ...(p.addRules ?? [])];
    const settings = settingsOf({ ...p, rules: texts }, current);
    guard?.(p.name, alertRules(settings), alertRules(current));
    const { monitor, resolved } = this.repo.update(id, settings, p.enabled ?? current.enabled);
    const { id: _id, ...m } = monitor;
    return { monitor: m, resolved };
  }

  /** Removes a monitor with its checks, alerts and drift reports. */
  remove(name: string): { removed: boolean } {
    const m = this.repo.find(name);
    if (!m) return { removed: false };
    this.d.drift().repo.deleteMonitorReports(m.id);
    return { removed: this.repo.remove(name) };
  }

  alerts(q: { state?: AlertState; monitor?: string }): Alert[] {
    return this.repo.alerts(q);
  }

  /** Takes the deployment's new log lines in, and lists its newest requests. */
  async requests(name: string, limit: number): Promise<LoggedRequest[]> {
    const dep = this.d.deployments.repo.get(name);
    await this.logs.takeIn(dep);
    return this.repo.recentRequests(dep.id, limit);
  }

  /**
   * Reads ground truth from a file into the store, by request id. `shown` names the file in
   * messages (an upload's own name); it keeps the file's extension, which says JSON Lines or CSV.
   */
  async addLabels(deployment: string, file: string, shown = file): Promise<AddLabelsResult> {
    const dep = this.d.deployments.repo.get(deployment);
    const labels = await readLabels(path.resolve(file), shown);
    await this.logs.takeIn(dep);
    return { read: labels.length, ...this.repo.addLabels(dep.id, labels) };
  }

  /** Checks a monitor now; refused while this process checks it already. */
  run(name: string, ctx: OpContext): Promise<MonitorRun> {
    if (this.running.has(name))
      throw conflict(
        `${name} is being checked now (by the app's schedule, or another click); its result shows when it is done.`,
      );
    this.running.add(name);
    return this.check(name, ctx).finally(() => this.running.delete(name));
  }

  /**
   * Checks each enabled monitor when it is due (`everySeconds` after its last check, or after it
   * was made), one at a time, as operations the UI can follow. Returns what stops it.
   */
  schedule(ops: Operations, events: EventBus, tickMs = SCHEDULE_TICK_MS): () => void {
    return every(tickMs, async (stopped) => {
      for (const m of this.repo.list()) {
        if (stopped()) break;
        if (!m.enabled || m.everySeconds === 0) continue;
        // Read again just before: another process (the CLI, another window) may have checked it.
        const last = this.repo.lastCheckedAt(m.id) ?? m.createdAt;
        if (now() < last + m.everySeconds * 1000) continue;
        const params = { name: m.name };
        const { done } = ops.start('monitors.run', (ctx) => this.run(m.name, ctx));
        // Announced as the contract declares for a check asked through the API.
        await done.then(
          (run) => events.changed(...entitiesWritten('monitors.run', params, run)),
          () => {},
        );
      }
    });
  }

  /**
   * `deployment:NAME[:SINCE]` as drift input: the deployment's logged rows since then (all of them
   * without SINCE) as a JSON Lines table, removed once the check has read it.
   */
  async deploymentInput(spec: string, signal?: AbortSignal): Promise<ResolvedInput> {
    const body = spec.slice('deployment:'.length);
    const colon = body.indexOf(':');
    const name = colon >= 0 ? body.slice(0, colon) : body;
    const since = colon >= 0 ? parseSince(body.slice(colon + 1)) : 0;
    const dep = this.d.deployments.repo.get(name);
    await this.logs.takeIn(dep, signal);
    const version = this.d.registry.repo.version(dep.model, dep.version);
    return this.windowInput(dep, version, { deploymentId: dep.id, from: since, to: now() + 1 }, spec, signal);
  }

  private async windowInput(
    dep: DeploymentRecord,
    version: ModelVersion,
    w: Window,
    label: string,
    signal?: AbortSignal,
  ): Promise<ResolvedInput> {
    // Named by this process, so a killed one's is removed with other scratch (storeMaintenance.ts).
    const dir = path.join(this.d.home, 'tmp', `window-${process.pid}-${newId()}`);
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'requests.jsonl');
    try {
      const columns = featureColumns(version);
      const written = await writeWindowRows(this.repo.featurePages(w), columns, file, signal);
      const identity: DriftInputIdentity = {
        kind: 'deployment',
        label,
        sha256: written.sha256,
        size: written.bytes,
        format: 'jsonl',
        deployment: dep.name,
        from: w.from,
        to: w.to,
      };
      return {
        file,
        format: 'jsonl',
        identity: async () => identity,
        columns: columns.map((c) => c.name),
        cleanup: () => fs.rm(dir, { recursive: true, force: true }),
      };
    } catch (err) {
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async check(name: string, ctx: OpContext): Promise<MonitorRun> {
    const { id: monitorId, ...monitor } = this.repo.get(name);
    const to = now();
    const run = newCheck(name, to, monitor.windowSeconds);
    const verdicts: RuleVerdict[] = [];
    const notes: string[] = [];
    let failed = false;
    try {
      const dep = this.d.deployments.repo.find(monitor.deployment);
      if (!dep)
        throw notFound(
          `The deployment ${monitor.deployment} no longer exists. Remove this monitor (\`mlwb monitors remove ${name}\`) or deploy again under that name.`,
        );
      ctx.progress({ phase: 'read', done: 0, total: 3, message: 'Reading the request log' });
      await this.logs.takeIn(dep, ctx.signal);
      const w: Window = { deploymentId: dep.id, from: run.from, to: run.to };
      const traffic = this.repo.traffic(w);
      run.versions = traffic.versions;
      const versionOf = (v: number) => {
        try {
          return this.d.registry.repo.version(dep.model, v);
        } catch {
          return undefined;
        }
      };
      const labeled = this.repo.labeled(w);
      const realized = realizedPerformance(labeled, versionOf, wholeLabels(labeled));
      Object.assign(run.metrics, {
        requests: traffic.requests,
        rows: traffic.rows,
        errors: traffic.errors,
        error_rate: traffic.requests ? traffic.errors / traffic.requests : null,
        p50_latency_ms: traffic.p50,
        p95_latency_ms: traffic.p95,
        drift_share: null,
        drifted_columns: null,
        ...realized,
      });
      if (monitor.drift) {
        ctx.progress({ phase: 'drift', done: 1, total: 3, message: 'Testing the window for drift' });
        const drift = await this.windowDrift({ ...monitor, id: monitorId }, dep, w, traffic.rows, ctx).catch(
          (err: unknown) => {
            if (ctx.signal.aborted) throw err;
            failed = true;
            return { note: `Drift could not be tested: ${(err as Error).message}` };
          },
        );
        if ('note' in drift) notes.push(drift.note);
        else {
          run.driftReport = drift.report;
          run.datasetDrift = drift.datasetDrift;
          run.reference = drift.reference;
          run.metrics.drift_share = drift.share;
          run.metrics.drifted_columns = drift.drifted;
          verdicts.push({
            rule: DRIFT_RULE,
            failing: drift.datasetDrift,
            value: drift.share,
            message: `${drift.drifted} of ${drift.tested} features drifted (${fmt(drift.share * 100)}%, at most ${fmt(monitor.driftShare * 100)}% allowed) against ${drift.reference}.`,
          });
        }
      }
      ctx.progress({ phase: 'rules', done: 2, total: 3, message: 'Checking the rules' });
      for (const rule of monitor.rules) {
        const check = checkRule(rule, run.metrics);
        run.checks.push(check);
        if (check.passed !== null)
          verdicts.push({
            rule: rule.text,
            failing: !check.passed,
            value: check.value,
            message: `${rule.metric} is ${fmt(check.value!)}; the rule is ${rule.text}.`,
          });
      }
    } catch (err) {
      // A cancelled check is not a check: nothing is recorded.
      if (ctx.signal.aborted) throw cancelled('The check was cancelled.');
      failed = true;
      notes.push((err as Error).message);
    }
    run.note = notes.join(' ') || null;
    run.status = failed
      ? 'failed'
      : verdicts.some((v) => v.failing)
        ? 'alerting'
        : verdicts.length === 0
          ? 'no-data'
          : 'ok';
    const moved = this.repo.record(monitorId, run, verdicts);
    if (moved.fired.length || moved.resolved.length)
      this.d.events?.emit('alerts.moved', { monitor: name, ...moved });
    // Checks (and their drift reports) age out.
    const before = run.at - CHECKS_KEPT_DAYS * 86_400_000;
    if (this.repo.pruneRuns(monitorId, before)) this.d.drift().repo.deleteMonitorReports(monitorId, before);
    ctx.progress({ phase: 'rules', done: 3, total: 3 });
    return run;
  }

  private async windowDrift(
    monitor: Monitor & { id: string },
    dep: DeploymentRecord,
    w: Window,
    rows: number,
    ctx: OpContext,
  ): Promise<
    | { note: string }
    | {
        report: string;
        reference: string;
        share: number;
        drifted: number;
        tested: number;
        datasetDrift: boolean;
      }
  > {
    if (rows < monitor.minRows)
      return {
        note: `Drift was not tested: the window has ${rows} row${rows === 1 ? '' : 's'}, fewer than the ${monitor.minRows} the monitor needs.`,
      };
    const version = this.d.registry.repo.version(dep.model, dep.version);
    const reference = monitor.reference ?? this.trainingTable(version);
    if (!reference)
      return {
        note: `Drift was not tested: ${dep.model} v${dep.version} names no training data in its lineage. Give the monitor a reference (--reference dataset:NAME@V).`,
      };
    const label = `deployment:${dep.name}:${new Date(w.from).toISOString()}`;
    const current = await this.windowInput(dep, version, w, label, ctx.signal);
    const drift = this.d.drift();
    const checked = await drift.check(
      { reference, current: { resolved: current }, options: { driftShare: monitor.driftShare }, save: false },
      ctx,
    );
    // Stored as the monitor's report: off the Drift page's list, and gone with the monitor's checks.
    const record = drift.repo.save({
      reference: checked.reference,
      current: checked.current,
      preset: checked.preset,
      options: checked.options,
      report: checked.report,
      monitorId: monitor.id,
    });
    return {
      report: record.id,
      reference,
      share: record.share,
      drifted: record.drifted,
      tested: record.tested,
      datasetDrift: record.datasetDrift,
    };
  }

  /** The table the version was trained on: its run's `train` channel (else its only one). */
  private trainingTable(version: ModelVersion): string | null {
    const inputs = version.lineage?.datasets ?? [];
    const input = inputs.find((d) => d.channel === 'train') ?? (inputs.length === 1 ? inputs[0] : undefined);
    if (!input) return null;
    try {
      const detail = this.d.datasets.show(input.dataset, input.version);
      const entry = detail.entries.find((e) => tableFormatOf(e.path));
      return entry ? `dataset:${input.dataset}@${input.version}:${entry.path}` : null;
    } catch {
      return null;
    }
  }
}

function checkRule(rule: MonitorRule, metrics: MonitorRun['metrics']): RuleCheck {
  const value = metrics[rule.metric] ?? null;
  const base = { rule: rule.text, metric: rule.metric, value };
  if (value === null) {
    const why =
      rule.metric === 'accuracy' ||
      rule.metric === 'rmse' ||
      rule.metric === 'mae' ||
      rule.metric === 'labeled_rows'
        ? 'no labeled rows in the window (`mlwb labels add`)'
        : rule.metric.startsWith('drift')
          ? 'drift was not tested'
          : 'no requests in the window';
    return { ...base, passed: null, note: why };
  }
  return { ...base, passed: compare(value, rule.op, rule.value), note: null };
}

/** The version's features, in the order of its inputs; a float input's are floats. */
export function featureColumns(version: ModelVersion): FeatureColumn[] {
  const out: FeatureColumn[] = [];
  for (const input of version.inputs) {
    const names = version.features[input.name];
    if (!names) continue;
    const float = /float|double/.test(input.type);
    for (const name of names) out.push({ name, float });
  }
  return out;
}

/** SINCE of `deployment:NAME:SINCE`: an ISO 8601 time, or a duration back from now (`15m`, `24h`). */
export function parseSince(text: string, at = now()): number {
  // A unit is needed here: a bare number (2026) is read as a time, as Date.parse reads it.
  const seconds = /[a-z]$/i.test(text.trim()) ? parseDuration(text) : null;
  if (seconds !== null) return at - seconds * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw invalidInput(
      `"${text}" is neither a time (2026-11-29T10:00:00Z) nor a duration (15m, 24h, 7d): deployment:NAME:SINCE takes one of them.`,
    );
  return t;
}

/** Settings asked for, over `base` where not given: rules parsed, the reference checked. */
function settingsOf(
  p: Partial<Omit<MonitorSettings, 'rules'>> & { reference?: string | null; rules?: string[] },
  base: MonitorSettings,
): MonitorSettings {
  const rules: MonitorRule[] = [];
  for (const text of p.rules ?? base.rules.map((r) => r.text)) {
    const r = parseMonitorRule(text);
    if (typeof r === 'string') throw invalidInput(r);
    // `error_rate<0.05` and `error_rate < 0.05` are one rule.
    if (!rules.some((x) => x.text === r.text)) rules.push(r);
  }
  const drift = p.drift ?? base.drift;
  const needsDrift = rules.find((r) => r.metric === 'drift_share' || r.metric === 'drifted_columns');
  if (needsDrift && !drift)
    throw invalidInput(`"${needsDrift.text}" needs drift tested: leave drift on, or drop the rule.`);
  let reference = p.reference === undefined ? base.reference : p.reference;
  if (p.reference) {
    if (!p.reference.startsWith('dataset:') && !tableFormatOf(p.reference))
      throw invalidInput(
        `The reference ${p.reference} is neither dataset:NAME[@V][:PATH] nor a CSV, TSV, Parquet or JSON Lines file.`,
      );
    if (!p.reference.startsWith('dataset:')) reference = path.resolve(p.reference);
  }
  const settings: MonitorSettings = {
    windowSeconds: p.windowSeconds ?? base.windowSeconds,
    everySeconds: p.everySeconds ?? base.everySeconds,
    minRows: p.minRows ?? base.minRows,
    drift,
    driftShare: p.driftShare ?? base.driftShare,
    reference,
    rules,
  };
  if (!settings.drift && !rules.length)
    throw invalidInput(
      'A monitor without drift needs at least one rule (such as --rule "error_rate < 0.05").',
    );
  return settings;
}

/** A check of `monitor` at `at` over the window before it, with nothing found yet. */
export function newCheck(monitor: string, at: number, windowSeconds: number): MonitorRun {
  return {
    id: newId(),
    monitor,
    at,
    from: at - windowSeconds * 1000,
    to: at,
    status: 'ok',
    versions: [],
    metrics: {},
    checks: [],
    datasetDrift: null,
    driftReport: null,
    reference: null,
    note: null,
  };
}
