/**
 * SQL for runs: params (write-once), tags, metric series with their latest point, search, and the
 * state of recipe runs. This is the one module that reads and writes the tables runs, run_params,
 * run_tags, run_metrics, run_latest_metrics and run_inputs; the training services and the servers
 * call it (and reach experiments, whose tables experimentRepo.ts owns, through it). Metric batches are one transaction
 * of prepared inserts, which is what keeps ingestion well above 50,000 points a second.
 *
 * The moves of recipe runs that several processes race on (who answers for a run, QUEUED →
 * RUNNING → ended) are `lifecycle` (runLifecycle.ts), the part of this owner that writes them.
 * Series as charts read them, whole or in buckets, are the part in seriesReads.ts.
 */

import type { Statement } from 'better-sqlite3';
import type {
  Experiment,
  MetricPoint,
  MetricSeriesWindow,
  RunPage,
  RunStatus,
  RunSummary,
  SampledSeries,
} from '../../../shared/tracking.ts';
import { RunSearch } from '../../../shared/tracking.ts';
import type { RunDetail } from '../../../shared/training.ts';
import { invalidInput, notFound } from '../errors.ts';
import { newId, now } from '../ids.ts';
import type { ProcessIdentity } from '../processIdentity.ts';
import { type Db, writeTransaction } from '../store/database.ts';
import { ExperimentRepo } from './experimentRepo.ts';
import { RunLifecycle } from './runLifecycle.ts';
import { filterSql, orderSql } from './searchFilter.ts';
import { SeriesReads, wireNumber } from './seriesReads.ts';

export interface RunRow {
  id: string;
  experiment_id: string;
  name: string;
  status: RunStatus;
  lifecycle_stage: string;
  start_time: number | null;
  end_time: number | null;
  created_at: number;
  spec: string | null;
  engine: string | null;
  engine_version: string | null;
  image_digest: string | null;
  container_id: string | null;
  exit_code: number | null;
  failure_reason: string | null;
  peak_memory: number | null;
  skipped_metrics: number;
}

export type RunInput = RunDetail['inputs'][number];

export class TrackingRepo {
  private readonly insertMetric;
  private readonly upsertLatest;
  private details: Statement | undefined;
  private ofToken: Statement | undefined;

  private readonly experimentRepo: ExperimentRepo;
  /** Ownership and state moves of recipe runs (runLifecycle.ts). */
  readonly lifecycle: RunLifecycle;
  private readonly seriesReads: SeriesReads;

  constructor(private readonly db: Db) {
    this.experimentRepo = new ExperimentRepo(db);
    this.lifecycle = new RunLifecycle(db);
    this.seriesReads = new SeriesReads(db);
    this.insertMetric = db.prepare(
      'INSERT INTO run_metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.upsertLatest = db.prepare(
      `INSERT INTO run_latest_metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp,
         value = excluded.value, is_nan = excluded.is_nan
       WHERE excluded.step > run_latest_metrics.step
          OR (excluded.step = run_latest_metrics.step AND excluded.timestamp >= run_latest_metrics.timestamp)`,
    );
  }

  // Experiments (experimentRepo.ts owns their tables) -------------------------------------------

  createExperiment(name: string, artifactUri?: string, tags: Record<string, string> = {}): string {
    return this.experimentRepo.create(name, artifactUri, tags);
  }

  experiment(id: string): Experiment {
    return this.experimentRepo.get(id);
  }

  experimentByName(name: string): Experiment | undefined {
    return this.experimentRepo.byName(name);
  }

  experiments(opts: { includeDeleted?: boolean } = {}): Experiment[] {
    return this.experimentRepo.list(opts);
  }

  // Runs -----------------------------------------------------------------------------------------

  createRun(input: {
    experimentId: string;
    name?: string;
    status: RunStatus;
    startTime?: number | null;
    spec?: unknown;
    tags?: Record<string, string>;
    params?: Record<string, string>;
    /** A recipe run: the dataset versions it reads, its container's API token, its owner. */
    recipe?: { inputs: RunInput[]; apiToken: string; owner: ProcessIdentity };
  }): string {
    // One transaction: nobody sees a recipe run before it has its inputs, its token and its owner.
    return writeTransaction(this.db, () => {
      this.experiment(input.experimentId);
      const id = newId();
      const t = now();
      this.db
        .prepare(
          `INSERT INTO runs (id, experiment_id, name, status, start_time, created_at, spec, api_token,
             follower_pid, follower_pid_start)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.experimentId,
          input.name ?? `run-${id.slice(-6).toLowerCase()}`,
          input.status,
          input.startTime ?? null,
          t,
          input.spec === undefined ? null : JSON.stringify(input.spec),
          input.recipe?.apiToken ?? null,
          input.recipe?.owner.pid ?? null,
          input.recipe?.owner.start ?? null,
        );
      for (const [k, v] of Object.entries(input.tags ?? {})) this.setTag(id, k, v);
      for (const [k, v] of Object.entries(input.params ?? {})) this.logParam(id, k, v);
      const insertInput = this.db.prepare(
        'INSERT INTO run_inputs (run_id, channel, dataset, version, digest) VALUES (?, ?, ?, ?, ?)',
      );
      for (const ds of input.recipe?.inputs ?? [])
        insertInput.run(id, ds.channel, ds.dataset, ds.version, ds.digest);
      return id;
    });
  }

  runRow(id: string): RunRow {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!row) throw notFound(`No run with id ${id}. Run \`mlwb runs list\` to see the runs.`);
    return row;
  }

  run(id: string): RunSummary {
    return this.summaries([this.runRow(id)])[0]!;
  }

  /** The runs of `ids` that exist, in that order (a compare page's runs in one read). */
  runsOf(ids: string[]): RunSummary[] {
    const rows = new Map<string, RunRow>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const found = this.db
        .prepare(`SELECT * FROM runs WHERE id IN (${chunk.map(() => '?').join(', ')})`)
        .all(...chunk) as RunRow[];
      for (const row of found) rows.set(row.id, row);
    }
    const ordered = [...new Set(ids)].flatMap((id) => rows.get(id) ?? []);
    return ordered.length ? this.summaries(ordered) : [];
  }

  updateRun(
    id: string,
    patch: Partial<
      Pick<
        RunRow,
        | 'status'
        | 'start_time'
        | 'end_time'
        | 'name'
        | 'container_id'
        | 'exit_code'
        | 'failure_reason'
        | 'peak_memory'
        | 'engine'
        | 'engine_version'
        | 'image_digest'
        | 'lifecycle_stage'
        | 'skipped_metrics'
      >
    >,
  ): void {
    const keys = Object.keys(patch) as (keyof typeof patch)[];
    if (keys.length === 0) return;
    this.runRow(id);
    this.db
      .prepare(`UPDATE runs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`)
      .run({ ...patch, id });
  }

  /** The dataset versions a recipe run reads, per channel. */
  runInputs(runId: string): RunInput[] {
    return this.db
      .prepare('SELECT channel, dataset, version, digest FROM run_inputs WHERE run_id = ? ORDER BY channel')
      .all(runId) as RunInput[];
  }

  /** The token a recipe run's container uses for the MLflow-compatible API. */
  runToken(runId: string): string | undefined {
    return (
      (this.db.prepare('SELECT api_token FROM runs WHERE id = ?').pluck().get(runId) as string | null) ??
      undefined
    );
  }

  /** The open run a container's API token opens; undefined for any other token. */
  openRunOfToken(token: string): { runId: string; experimentId: string } | undefined {
    this.ofToken ??= this.db.prepare(
      `SELECT id AS runId, experiment_id AS experimentId FROM runs WHERE api_token = ? AND status IN ('QUEUED', 'RUNNING')`,
    );
    return this.ofToken.get(token) as { runId: string; experimentId: string } | undefined;
  }

  /** How far the run's metrics.jsonl has been read, so a follower taking over reads on. */
  metricsOffset(runId: string): number {
    return (
      (this.db.prepare('SELECT metrics_offset FROM runs WHERE id = ?').pluck().get(runId) as number) ?? 0
    );
  }

  /** metrics.jsonl read on to `offset`, with `skipped` more lines that were not metrics. */
  advanceMetricsOffset(runId: string, offset: number, skipped: number): void {
    this.db
      .prepare('UPDATE runs SET metrics_offset = ?, skipped_metrics = skipped_metrics + ? WHERE id = ?')
      .run(offset, skipped, runId);
  }

  /** The highest step stored for a metric of the run; null when it has none. */
  lastStep(runId: string, key: string): number | null {
    return this.db
      .prepare('SELECT max(step) FROM run_metrics WHERE run_id = ? AND key = ?')
      .pluck()
      .get(runId, key) as number | null;
  }

  // Params, tags and metrics ---------------------------------------------------------------------

  /** Params are write-once (as in MLflow): the same value again is fine, a different one is not. */
  logParam(runId: string, key: string, value: string): void {
    const existing = this.db
      .prepare('SELECT value FROM run_params WHERE run_id = ? AND key = ?')
      .pluck()
      .get(runId, key) as string | undefined;
    if (existing === undefined) {
      this.db.prepare('INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)').run(runId, key, value);
    } else if (existing !== value) {
      throw invalidInput(
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${existing}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
      );
    }
  }

  setTag(runId: string, key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value',
      )
      .run(runId, key, value);
  }

  deleteTag(runId: string, key: string): void {
    this.db.prepare('DELETE FROM run_tags WHERE run_id = ? AND key = ?').run(runId, key);
  }

  /** Forgets a metric series (its points and its latest value). */
  deleteSeries(runId: string, key: string): void {
    writeTransaction(this.db, () => {
      this.db.prepare('DELETE FROM run_metrics WHERE run_id = ? AND key = ?').run(runId, key);
      this.db.prepare('DELETE FROM run_latest_metrics WHERE run_id = ? AND key = ?').run(runId, key);
    });
  }

  /**
   * One transaction for the whole batch; callers have validated keys and values. The latest point
   * of each key is picked here and upserted once per key, not once per point: the same result as
   * point by point (a higher step wins, then a later-or-equal timestamp, ties to the later point),
   * at half the statements.
   */
  logMetrics(
    runId: string,
    points: MetricPoint[] | { key: string; value: number; step: number; timestamp: number }[],
  ): void {
    if (points.length === 0) return;
    const latest = new Map<string, { step: number; timestamp: number; stored: number | null; nan: number }>();
    writeTransaction(this.db, () => {
      for (const p of points) {
        const v =
          typeof p.value === 'number'
            ? p.value
            : p.value === 'NaN'
              ? Number.NaN
              : p.value === 'Infinity'
                ? Number.POSITIVE_INFINITY
                : Number.NEGATIVE_INFINITY;
        const nan = Number.isNaN(v) ? 1 : 0;
        const stored = nan ? null : v;
        this.insertMetric.run(runId, p.key, p.step, p.timestamp, stored, nan);
        const cur = latest.get(p.key);
        if (!cur || p.step > cur.step || (p.step === cur.step && p.timestamp >= cur.timestamp)) {
          latest.set(p.key, { step: p.step, timestamp: p.timestamp, stored, nan });
        }
      }
      for (const [key, l] of latest) this.upsertLatest.run(runId, key, l.step, l.timestamp, l.stored, l.nan);
    });
  }

  /**
   * MLflow's runs/log-batch as one transaction: a param that conflicts with a logged one fails the
   * whole batch, so a refused request leaves nothing half-written. Callers have validated keys,
   * values and counts.
   */
  logBatch(
    runId: string,
    batch: {
      metrics: MetricPoint[];
      params: { key: string; value: string }[];
      tags: { key: string; value: string }[];
    },
  ): void {
    writeTransaction(this.db, () => {
      for (const p of batch.params) this.logParam(runId, p.key, p.value);
      for (const t of batch.tags) this.setTag(runId, t.key, t.value);
      this.logMetrics(runId, batch.metrics);
    });
  }

  /** A series in step order; `page` reads a window of it (MLflow's paged get-history). */
  metricHistory(runId: string, key: string, page?: { offset: number; limit: number }): MetricPoint[] {
    this.runRow(runId);
    const window = page ? ' LIMIT ? OFFSET ?' : '';
    const rows = this.db
      .prepare(
        `SELECT key, step, timestamp, value, is_nan FROM run_metrics WHERE run_id = ? AND key = ? ORDER BY step, timestamp, rowid${window}`,
      )
      .all(runId, key, ...(page ? [page.limit, page.offset] : [])) as {
      key: string;
      step: number;
      timestamp: number;
      value: number | null;
      is_nan: number;
    }[];
    return rows.map((r) => ({
      key: r.key,
      step: r.step,
      timestamp: r.timestamp,
      value: wireNumber(r.value, r.is_nan),
    }));
  }

  /** A series as a chart reads it (seriesReads.ts). */
  metricSeries(runId: string, key: string, window: MetricSeriesWindow): SampledSeries {
    this.runRow(runId);
    return this.seriesReads.read(runId, key, window);
  }

  /** The latest point of every metric of each run, with its step and timestamp (MLflow's Run.data). */
  latestMetricPoints(runIds: string[]): Map<string, MetricPoint[]> {
    const out = new Map<string, MetricPoint[]>(runIds.map((id) => [id, []]));
    for (let i = 0; i < runIds.length; i += 500) {
      const chunk = runIds.slice(i, i + 500);
      const rows = this.db
        .prepare(
          `SELECT run_id, key, step, timestamp, value, is_nan FROM run_latest_metrics
            WHERE run_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY run_id, key`,
        )
        .all(...chunk) as {
        run_id: string;
        key: string;
        step: number;
        timestamp: number;
        value: number | null;
        is_nan: number;
      }[];
      for (const r of rows) {
        out.get(r.run_id)!.push({
          key: r.key,
          step: r.step,
          timestamp: r.timestamp,
          value: wireNumber(r.value, r.is_nan),
        });
      }
    }
    return out;
  }

  metricKeys(runId: string): string[] {
    return this.db
      .prepare('SELECT key FROM run_latest_metrics WHERE run_id = ? ORDER BY key')
      .pluck()
      .all(runId) as string[];
  }

  /** Active runs that read a dataset version (on any channel), newest first. */
  runsReading(dataset: string, version: number): RunSummary[] {
    const rows = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM runs r
          WHERE r.lifecycle_stage = 'active'
            AND r.id IN (SELECT run_id FROM run_inputs WHERE dataset = ? AND version = ?)
          ORDER BY r.created_at DESC LIMIT 1000`,
      )
      .all(dataset, version) as SummaryRow[];
    return this.summaries(rows);
  }

  /** `lifecycle` is MLflow's run_view_type: active runs unless asked otherwise. */
  search(input: RunSearch, lifecycle: 'active' | 'deleted' | 'all' = 'active'): RunPage {
    const { runs, nextPageToken } = this.searchWithPoints(input, lifecycle);
    return { runs, nextPageToken };
  }

  /**
   * search, plus the latest point (with its step and timestamp) of each metric of each run, which
   * is what MLflow's runs/search returns; both come from the same query.
   */
  searchWithPoints(
    input: RunSearch,
    lifecycle: 'active' | 'deleted' | 'all' = 'active',
  ): RunPage & { points: Map<string, MetricPoint[]> } {
    const q = RunSearch.parse(input);
    const stage = lifecycle === 'all' ? '' : `r.lifecycle_stage = '${lifecycle}' AND `;
    const { where, params } = filterSql(q.filter);
    const { order, params: orderParams } = orderSql(q.orderBy);
    const offset = q.pageToken ? decodeToken(q.pageToken) : 0;
    const exp = q.experimentIds?.length
      ? `r.experiment_id IN (${q.experimentIds.map(() => '?').join(', ')}) AND `
      : '';
    // Only the columns a summary shows: a launcher run's spec can be kilobytes.
    const rows = this.db
      .prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE ${exp} ${stage}${where}
          ORDER BY ${order} LIMIT ? OFFSET ?`,
      )
      .all(...(q.experimentIds ?? []), ...params, ...orderParams, q.maxResults + 1, offset) as SummaryRow[];
    const more = rows.length > q.maxResults;
    const points = new Map<string, MetricPoint[]>();
    const page = this.summaries(rows.slice(0, q.maxResults), points);
    return { runs: page, nextPageToken: more ? encodeToken(offset + q.maxResults) : null, points };
  }

  /**
   * Params, tags and latest metrics of many runs in one statement: SQLite folds each run's rows
   * into one JSON value, so JavaScript builds one row per run rather than one per param — about
   * three times faster on a page of 1000 runs × 30 values.
   */
  private summaries(rows: SummaryRow[], points?: Map<string, MetricPoint[]>): RunSummary[] {
    if (rows.length === 0) return [];
    this.details ??= this.db.prepare(
      `SELECT j.value AS id,
         (SELECT json_group_object(p.key, p.value) FROM run_params p WHERE p.run_id = j.value) AS params,
         (SELECT json_group_object(t.key, t.value) FROM run_tags t WHERE t.run_id = j.value) AS tags,
         (SELECT json_group_array(json_array(m.key, m.value, m.is_nan, m.step, m.timestamp))
            FROM run_latest_metrics m WHERE m.run_id = j.value) AS metrics
       FROM json_each(?) j`,
    );
    const byRun = new Map<string, Pick<RunSummary, 'params' | 'tags' | 'metrics'>>();
    for (const d of this.details.all(JSON.stringify(rows.map((r) => r.id))) as {
      id: string;
      params: string;
      tags: string;
      metrics: string;
    }[]) {
      const metrics: RunSummary['metrics'] = {};
      const latest: MetricPoint[] = [];
      // Each is [key, value, is_nan, step, timestamp]; SQLite writes ±Infinity as ±9e999.
      for (const [key, value, isNan, step, timestamp] of JSON.parse(d.metrics) as [
        string,
        number | null,
        number,
        number,
        number,
      ][]) {
        const v = wireNumber(value, isNan);
        metrics[key] = v;
        latest.push({ key, value: v, step, timestamp });
      }
      points?.set(d.id, latest);
      byRun.set(d.id, { params: JSON.parse(d.params), tags: JSON.parse(d.tags), metrics });
    }
    return rows.map((r) => ({
      id: r.id,
      experimentId: r.experiment_id,
      name: r.name,
      status: r.status,
      startTime: r.start_time,
      endTime: r.end_time,
      createdAt: r.created_at,
      ...byRun.get(r.id)!,
    }));
  }
}

const SUMMARY_COLUMNS = 'r.id, r.experiment_id, r.name, r.status, r.start_time, r.end_time, r.created_at';
type SummaryRow = Pick<
  RunRow,
  'id' | 'experiment_id' | 'name' | 'status' | 'start_time' | 'end_time' | 'created_at'
>;

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof v.offset === 'number' && Number.isInteger(v.offset) && v.offset >= 0) return v.offset;
  } catch {
    // fall through
  }
  throw invalidInput('Invalid page_token: pass the next_page_token of a previous search unchanged.');
}
