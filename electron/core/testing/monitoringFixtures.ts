/**
 * Monitoring without an engine: a deployment record on this machine's engine (its server, if any,
 * started by the caller), and a check recorded as a check records one, with verdicts given.
 */
import type { MonitorRun } from '../../../shared/monitoring.ts';
import type { RuleVerdict } from '../monitoring/monitorRepo.ts';
import type { Workbench } from '../workbench.ts';

/** A running container deployment named `name` of `model` v`version`, as far as the store knows. */
export function recordDeployment(wb: Workbench, name: string, model = name, version = 1): void {
  wb.deployments.repo.create(
    {
      name,
      model,
      version,
      alias: null,
      followAlias: false,
      engine: null,
      mode: 'container',
      replicas: 1,
      bindHost: '127.0.0.1',
      urlHost: '127.0.0.1',
      port: 1,
      image: 'test',
      desired: 'running',
      generation: 1,
    },
    null,
  );
}

/** Records a check of `monitor` now with these verdicts; the alerts it fired and resolved. */
export function recordCheck(wb: Workbench, monitor: string, verdicts: RuleVerdict[]) {
  const at = Date.now();
  const run: MonitorRun = {
    id: `check-${at}-${Math.random().toString(36).slice(2)}`,
    monitor,
    at,
    from: at - 3600_000,
    to: at,
    status: verdicts.some((v) => v.failing) ? 'alerting' : 'ok',
    versions: [],
    metrics: {},
    checks: [],
    datasetDrift: null,
    driftReport: null,
    reference: null,
    note: null,
  };
  return wb.monitoring.repo.record(wb.monitoring.repo.get(monitor).id, run, verdicts);
}
