/**
 * The MLflow REST subset, endpoint by endpoint: each validates its body with zod, calls the
 * tracking store and answers in MLflow's shape. Semantics follow MLflow's server (handlers.py):
 * params are write-once, log-batch is checked against MLflow's limits before anything is written,
 * `mlflow.runName` and run_name are kept in step, and search with no experiment_ids finds nothing.
 */
import type { z } from 'zod';
import { type Entity, entities } from '../../../shared/entities.ts';
import type { MetricPoint } from '../../../shared/tracking.ts';
import {
  checkBatchSize,
  checkKey,
  checkParamValue,
  checkTagValue,
} from '../../core/tracking/trackingLimits.ts';
import type { RunRow, TrackingRepo } from '../../core/tracking/trackingRepo.ts';
import { experimentFilter, experimentOrder } from './experimentFilter.ts';
import {
  experimentJson,
  fromMlflowStatus,
  RUN_NAME_TAG,
  runInfoJson,
  runJson,
  USER_TAG,
} from './mlflowEntities.ts';
import { invalidParameter, MlflowError } from './mlflowErrors.ts';
import * as S from './mlflowSchemas.ts';

/** What changed, so the caller can tell the UI (coalesced by the router). */
export type Changed = (...changed: Entity[]) => void;

export interface Endpoint {
  methods: readonly ('GET' | 'POST')[];
  handle(input: unknown, tracking: TrackingRepo, changed: Changed): unknown;
}

const GET_OR_POST = ['GET', 'POST'] as const;
const POST = ['POST'] as const;

export function runIdOf(b: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  const id = b.run_id ?? b.run_uuid;
  if (!id) throw invalidParameter("Missing value for required parameter 'run_id'.");
  return id;
}

/** MLflow refuses writes to a deleted run with INVALID_PARAMETER_VALUE, not 404. */
function activeRun(tracking: TrackingRepo, runId: string): RunRow {
  const row = tracking.runRow(runId);
  if (row.lifecycle_stage !== 'active') {
    throw invalidParameter(
      `The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
    );
  }
  return row;
}

function runOut(tracking: TrackingRepo, runId: string) {
  const row = tracking.runRow(runId);
  const run = tracking.run(runId);
  const ctx = {
    artifactLocation: tracking.experiment(run.experimentId).artifactUri,
    lifecycleStage: row.lifecycle_stage,
  };
  return { run, ctx, latest: tracking.latestMetricPoints([runId]).get(runId) ?? [] };
}

function toPoint(m: z.output<typeof S.Metric>): MetricPoint {
  checkKey('metric', m.key);
  return { key: m.key, value: m.value, step: m.step, timestamp: m.timestamp };
}

function checkParam(p: S.KeyValue): void {
  checkKey('param', p.key);
  checkParamValue(p.key, p.value);
}

function checkTag(t: S.KeyValue): void {
  checkKey('tag', t.key);
  checkTagValue(t.key, t.value);
}

/** Page tokens are opaque to clients: an offset, base64url-encoded. */
function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}
function decodeOffset(token: string | undefined): number {
  if (!token) return 0;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof v.offset === 'number' && Number.isInteger(v.offset) && v.offset >= 0) return v.offset;
  } catch {
    // reported below
  }
  throw invalidParameter('Invalid page_token: pass the next_page_token of a previous response unchanged.');
}

const VIEW = { ACTIVE_ONLY: 'active', DELETED_ONLY: 'deleted', ALL: 'all' } as const;

export const endpoints: Record<string, Endpoint> = {
  'experiments/create': {
    methods: POST,
    handle(input, tracking, changed) {
      const b = S.CreateExperiment.parse(input);
      for (const t of b.tags) checkTag(t);
      const tags = Object.fromEntries(b.tags.map((t) => [t.key, t.value]));
      const id = tracking.createExperiment(b.name, b.artifact_location, tags);
      changed(entities.experiments);
      return { experiment_id: id };
    },
  },
  'experiments/get': {
    methods: GET_OR_POST,
    handle(input, tracking) {
      const b = S.GetExperiment.parse(input);
      return { experiment: experimentJson(tracking.experiment(b.experiment_id)) };
    },
  },
  'experiments/get-by-name': {
    methods: GET_OR_POST,
    handle(input, tracking) {
      const b = S.GetExperimentByName.parse(input);
      const e = tracking.experimentByName(b.experiment_name);
      if (!e) {
        throw new MlflowError(
          'RESOURCE_DOES_NOT_EXIST',
          `Could not find experiment with name '${b.experiment_name}'.`,
          404,
        );
      }
      return { experiment: experimentJson(e) };
    },
  },
  'experiments/search': {
    methods: GET_OR_POST,
    handle(input, tracking) {
      const b = S.SearchExperiments.parse(input);
      const view = VIEW[b.view_type];
      const matches = tracking
        .experiments({ includeDeleted: view !== 'active' })
        .filter((e) => view !== 'deleted' || e.lifecycleStage === 'deleted')
        .filter(experimentFilter(b.filter))
        .sort(experimentOrder(b.order_by));
      const offset = decodeOffset(b.page_token);
      const end = offset + b.max_results;
      return {
        experiments: matches.slice(offset, end).map(experimentJson),
        ...(end < matches.length ? { next_page_token: encodeOffset(end) } : {}),
      };
    },
  },

  'runs/create': {
    methods: POST,
    handle(input, tracking, changed) {
      const b = S.CreateRun.parse(input);
      for (const t of b.tags) checkTag(t);
      const tags = Object.fromEntries(b.tags.map((t) => [t.key, t.value]));
      const tagged = tags[RUN_NAME_TAG];
      if (b.run_name && tagged !== undefined && tagged !== b.run_name) {
        throw invalidParameter(
          `Both 'run_name' argument and '${RUN_NAME_TAG}' tag are specified, but with different values (run_name='${b.run_name}', ${RUN_NAME_TAG}='${tagged}').`,
        );
      }
      const experiment = tracking.experiment(b.experiment_id);
      if (experiment.lifecycleStage !== 'active') {
        throw invalidParameter(
          `The experiment ${b.experiment_id} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
        );
      }
      if (b.user_id && tags[USER_TAG] === undefined) tags[USER_TAG] = b.user_id;
      const id = tracking.createRun({
        experimentId: b.experiment_id,
        name: b.run_name || tagged || undefined,
        status: 'RUNNING',
        startTime: b.start_time ?? Date.now(),
        tags,
      });
      // MLflow keeps the name in a tag too; clients read either.
      tracking.setTag(id, RUN_NAME_TAG, tracking.runRow(id).name);
      changed(entities.runs);
      const { run, ctx, latest } = runOut(tracking, id);
      return { run: runJson(run, latest, ctx) };
    },
  },
  'runs/get': {
    methods: GET_OR_POST,
    handle(input, tracking) {
      const { run, ctx, latest } = runOut(tracking, runIdOf(S.GetRun.parse(input)));
      return { run: runJson(run, latest, ctx) };
    },
  },
  'runs/update': {
    methods: POST,
    handle(input, tracking, changed) {
      const b = S.UpdateRun.parse(input);
      const runId = runIdOf(b);
      activeRun(tracking, runId);
      // A run the workbench launched ends when its container does: a script's mlflow.end_run()
      // must not mark it FINISHED before the exit code, failure file and outputs are known.
      const launched = tracking.runRow(runId).spec !== null;
      tracking.updateRun(runId, {
        ...(b.status && !launched ? { status: fromMlflowStatus(b.status) } : {}),
        ...(b.end_time !== undefined && !launched ? { end_time: b.end_time } : {}),
        ...(b.run_name ? { name: b.run_name } : {}),
      });
      if (b.run_name) tracking.setTag(runId, RUN_NAME_TAG, b.run_name);
      changed(entities.runs, entities.run(runId));
      const { run, ctx } = runOut(tracking, runId);
      return { run_info: runInfoJson(run, ctx) };
    },
  },
  'runs/search': {
    methods: POST,
    handle(input, tracking) {
      const b = S.SearchRuns.parse(input);
      // As MLflow's store: the search is over the experiments named, so none names no runs.
      if (b.experiment_ids.length === 0) return { runs: [] };
      const view = VIEW[b.run_view_type];
      const page = tracking.searchWithPoints(
        {
          experimentIds: b.experiment_ids,
          filter: b.filter,
          orderBy: b.order_by,
          maxResults: b.max_results,
          pageToken: b.page_token,
        },
        view,
      );
      const locations = new Map<string, string>();
      const location = (experimentId: string) => {
        let l = locations.get(experimentId);
        if (l === undefined) {
          l = tracking.experiment(experimentId).artifactUri;
          locations.set(experimentId, l);
        }
        return l;
      };
      const runs = page.runs.map((r) =>
        runJson(r, page.points.get(r.id) ?? [], {
          artifactLocation: location(r.experimentId),
          lifecycleStage: view === 'all' ? tracking.runRow(r.id).lifecycle_stage : view,
        }),
      );
      return { runs, ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    },
  },

  'runs/log-metric': {
    methods: POST,
    handle(input, tracking, changed) {
      const b = S.LogMetric.parse(input);
      const runId = runIdOf(b);
      const point = toPoint(b);
      activeRun(tracking, runId);
      tracking.logMetrics(runId, [point]);
      changed(entities.runs, entities.runMetrics(runId));
      return {};
    },
  },
  'runs/log-parameter': {
    methods: POST,
    handle(input, tracking, changed) {
      const b = S.LogParam.parse(input);
      const runId = runIdOf(b);
      checkParam(b);
      activeRun(tracking, runId);
      tracking.logParam(runId, b.key, b.value);
      changed(entities.runs, entities.run(runId));
      return {};
    },
  },
  'runs/set-tag': {
    methods: POST,
    handle(input, tracking, changed) {
      const b = S.SetTag.parse(input);
      const runId = runIdOf(b);
      checkTag(b);
      activeRun(tracking, runId);
      tracking.setTag(runId, b.key, b.value);
      // As MLflow: setting the run-name tag renames the run.
      if (b.key === RUN_NAME_TAG && b.value) tracking.updateRun(runId, { name: b.value });
      changed(entities.runs, entities.run(runId));
      return {};
    },
  },
  'runs/log-batch': {
    methods: POST,
    handle(input, tracking, changed) {
      const shape = S.LogBatchShape.parse(input);
      checkBatchSize({
        metrics: shape.metrics.length,
        params: shape.params.length,
        tags: shape.tags.length,
      });
      const b = S.LogBatch.parse(input);
      const runId = runIdOf(b);
      const metrics = b.metrics.map(toPoint);
      for (const p of b.params) checkParam(p);
      for (const t of b.tags) checkTag(t);
      const seen = new Map<string, string>();
      for (const p of b.params) {
        if (seen.has(p.key) && seen.get(p.key) !== p.value) {
          throw invalidParameter(
            `Duplicate parameter keys have been submitted: '${p.key}' with different values. Please ensure the request contains only one param value per param key.`,
          );
        }
        seen.set(p.key, p.value);
      }
      activeRun(tracking, runId);
      tracking.logBatch(runId, { metrics, params: b.params, tags: b.tags });
      const renamed = b.tags.findLast((t) => t.key === RUN_NAME_TAG && t.value);
      if (renamed) tracking.updateRun(runId, { name: renamed.value });
      changed(entities.runs, entities.run(runId));
      if (metrics.length) changed(entities.runMetrics(runId));
      return {};
    },
  },
  'metrics/get-history': {
    methods: GET_OR_POST,
    handle(input, tracking) {
      const b = S.GetMetricHistory.parse(input);
      const runId = runIdOf(b);
      if (b.max_results === undefined && !b.page_token) {
        return { metrics: tracking.metricHistory(runId, b.metric_key) };
      }
      const offset = decodeOffset(b.page_token);
      const limit = b.max_results ?? 25_000;
      // One more than asked tells whether another page follows.
      const points = tracking.metricHistory(runId, b.metric_key, { offset, limit: limit + 1 });
      return {
        metrics: points.slice(0, limit),
        ...(points.length > limit ? { next_page_token: encodeOffset(offset + limit) } : {}),
      };
    },
  },
};
