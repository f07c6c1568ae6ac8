/**
 * Monitoring without an engine: a deployment record on this machine's engine (its server, if any,
 * started by the caller), and a check recorded as a check records one, with verdicts given.
 */
import { deploymentRecord } from '../deploy/testing/deploymentRecords.ts';
import type { RuleVerdict } from '../monitoring/monitorRepo.ts';
import { newCheck } from '../monitoring/monitorService.ts';
import type { Workbench } from '../workbench.ts';

/** A running container deployment named `name` of `model` v`version`, as far as the store knows. */
export function recordDeployment(wb: Workbench, name: string, model = name, version = 1): void {
  wb.deployments.repo.create(deploymentRecord(name, { model, version }), null);
}

/** Records a check of `monitor` now with these verdicts; the alerts it fired and resolved. */
export function recordCheck(wb: Workbench, monitor: string, verdicts: RuleVerdict[]) {
  const run = newCheck(monitor, Date.now(), 3600);
  if (verdicts.some((v) => v.failing)) run.status = 'alerting';
  return wb.monitoring.repo.record(wb.monitoring.repo.get(monitor).id, run, verdicts);
}
