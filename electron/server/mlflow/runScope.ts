/**
 * What a run's own token may do through the MLflow API. The tracking listener's callers are run
 * containers, running code the user did not write; each has the token of its run, and with it may
 * do what an MLflow client logging to MLFLOW_RUN_ID needs, and nothing else:
 *   - write to its own run (log-metric, log-parameter, set-tag, log-batch, update);
 *   - read its own run (runs/get, metrics/get-history), and runs/search narrowed to its own run;
 *   - read its own experiment (experiments/get, experiments/get-by-name).
 * Anything else — another run, another experiment, experiments/create, runs/create,
 * experiments/search — is refused with MLflow's PERMISSION_DENIED (403). An endpoint with no rule
 * here is refused: a new endpoint is closed to runs until it is opened on purpose.
 */
import { filterSql } from '../../core/tracking/searchFilter.ts';
import type { TrackingRepo } from '../../core/tracking/trackingRepo.ts';
import { runIdOf } from './mlflowEndpoints.ts';
import { MlflowError } from './mlflowErrors.ts';
import * as S from './mlflowSchemas.ts';

/** The run a token belongs to, as the listener found it in the store. */
export interface RunScope {
  runId: string;
  experimentId: string;
}

type Input = Record<string, unknown>;
/** Returns the request as it may be served for the run (possibly narrowed), or throws. */
type Rule = (input: Input, scope: RunScope, tracking: TrackingRepo) => Input;

function denied(scope: RunScope, what: string): MlflowError {
  return new MlflowError(
    'PERMISSION_DENIED',
    `This token is run ${scope.runId}'s: it may ${what}. It reads and writes only its own run, and reads only its experiment (${scope.experimentId}).`,
    403,
  );
}

/** Requests that name a run (run_id, or the older run_uuid) must name the caller's. */
const ownRun: Rule = (input, scope) => {
  if (runIdOf(S.RunOf.parse(input)) !== scope.runId) throw denied(scope, 'not reach another run');
  return input;
};

const ownExperiment: Rule = (input, scope) => {
  if (S.GetExperiment.parse(input).experiment_id !== scope.experimentId)
    throw denied(scope, 'not read another experiment');
  return input;
};

/** Whether or not another experiment of that name exists, the answer is the same. */
const ownExperimentByName: Rule = (input, scope, tracking) => {
  const name = S.GetExperimentByName.parse(input).experiment_name;
  if (tracking.experimentByName(name)?.id !== scope.experimentId)
    throw denied(scope, 'not read another experiment');
  return input;
};

/**
 * A search over its own experiment finds at most its own run: the filter gets one more clause
 * (the syntax joins clauses by AND only, and the caller's filter is checked to parse on its own,
 * so the clause cannot be swallowed by it). Over other experiments it finds nothing, as MLflow
 * does for experiments with no runs.
 */
const ownRunSearch: Rule = (input, scope) => {
  const b = S.SearchRuns.parse(input);
  if (!b.experiment_ids.includes(scope.experimentId)) return { ...input, experiment_ids: [] };
  filterSql(b.filter);
  if (!/^[0-9A-Za-z_-]+$/.test(scope.runId)) throw denied(scope, 'not search');
  const own = `attributes.run_id = '${scope.runId}'`;
  return {
    ...input,
    experiment_ids: [scope.experimentId],
    filter: b.filter.trim() ? `${b.filter} and ${own}` : own,
  };
};

const RULES: Record<string, Rule> = {
  'experiments/get': ownExperiment,
  'experiments/get-by-name': ownExperimentByName,
  'runs/get': ownRun,
  'runs/update': ownRun,
  'runs/log-metric': ownRun,
  'runs/log-parameter': ownRun,
  'runs/set-tag': ownRun,
  'runs/log-batch': ownRun,
  'metrics/get-history': ownRun,
  'runs/search': ownRunSearch,
};

/** The request as the run `scope` may make it, or PERMISSION_DENIED. */
export function forRun(endpoint: string, input: Input, scope: RunScope, tracking: TrackingRepo): Input {
  const rule = Object.hasOwn(RULES, endpoint) ? RULES[endpoint] : undefined;
  if (!rule) throw denied(scope, `not call ${endpoint}`);
  return rule(input, scope, tracking);
}
