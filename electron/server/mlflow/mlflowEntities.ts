/**
 * Our experiments and runs in MLflow's JSON shapes (service.proto's Experiment, Run, RunInfo),
 * and the status vocabulary between the two: MLflow has no QUEUED or LOST, and we have no
 * SCHEDULED.
 */
import type { Experiment, MetricPoint, RunStatus, RunSummary } from '../../../shared/tracking.ts';
import type { MlflowStatus } from './mlflowSchemas.ts';

export const RUN_NAME_TAG = 'mlflow.runName';
export const USER_TAG = 'mlflow.user';

const TO_MLFLOW: Record<RunStatus, MlflowStatus> = {
  QUEUED: 'SCHEDULED',
  RUNNING: 'RUNNING',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
  // A run whose container vanished did not finish: MLflow's nearest word is FAILED.
  LOST: 'FAILED',
};

export function toMlflowStatus(status: RunStatus): MlflowStatus {
  return TO_MLFLOW[status];
}

export function fromMlflowStatus(status: MlflowStatus): RunStatus {
  return status === 'SCHEDULED' ? 'QUEUED' : status;
}

const pairs = (record: Record<string, string>) =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

export function experimentJson(e: Experiment) {
  return {
    experiment_id: e.id,
    name: e.name,
    artifact_location: e.artifactUri,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.updatedAt,
    creation_time: e.createdAt,
    tags: pairs(e.tags),
  };
}

/** MLflow's RunInfo. Unset times are left out, as MLflow's protobuf JSON leaves them out. */
export function runInfoJson(run: RunSummary, ctx: { artifactLocation: string; lifecycleStage: string }) {
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: run.experimentId,
    user_id: run.tags[USER_TAG] ?? '',
    status: toMlflowStatus(run.status),
    ...(run.startTime === null ? {} : { start_time: run.startTime }),
    ...(run.endTime === null ? {} : { end_time: run.endTime }),
    artifact_uri: `${ctx.artifactLocation}/${run.id}/artifacts`,
    lifecycle_stage: ctx.lifecycleStage,
  };
}

export function runJson(
  run: RunSummary,
  latest: MetricPoint[],
  ctx: { artifactLocation: string; lifecycleStage: string },
) {
  return {
    info: runInfoJson(run, ctx),
    data: {
      metrics: latest.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step })),
      params: pairs(run.params),
      tags: pairs(run.tags),
    },
    inputs: {},
  };
}
