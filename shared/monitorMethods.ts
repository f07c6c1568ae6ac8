/**
 * The contract's methods for monitoring deployments: monitors and their checks, alerts, logged
 * requests and ground-truth labels (gathered into contract.ts's `methods`).
 */
import * as z from 'zod';
import { DeploymentName } from './deployments.ts';
import { entities as e, nothing } from './entities.ts';
import { method } from './method.ts';
import {
  AddLabelsParams,
  AddLabelsResult,
  AddMonitorParams,
  Alert,
  AlertState,
  LoggedRequest,
  Monitor,
  MonitorName,
  MonitorRun,
  MonitorSummary,
  UpdateMonitorParams,
  UpdateMonitorResult,
} from './monitoring.ts';

export const monitorMethods = {
  'monitors.list': method(z.object({}), z.object({ monitors: z.array(MonitorSummary) }), {
    reads: () => [e.monitors],
  }),
  'monitors.get': method(
    z.object({ name: MonitorName }),
    z.object({ monitor: Monitor, runs: z.array(MonitorRun), alerts: z.array(Alert) }),
    { reads: (p) => [e.monitor(p.name)] },
  ),
  'monitors.add': method(AddMonitorParams, z.object({ monitor: Monitor }), {
    writes: (_p, r) => [e.monitors, e.monitor(r.monitor.name)],
  }),
  'monitors.update': method(UpdateMonitorParams, UpdateMonitorResult, {
    writes: (p) => [e.monitors, e.monitor(p.name), e.alerts],
  }),
  'monitors.remove': method(z.object({ name: MonitorName }), z.object({ removed: z.boolean() }), {
    writes: (p) => [e.monitors, e.monitor(p.name), e.alerts],
  }),
  /** Checks a monitor now: reads the new requests, tests the window, fires and resolves alerts. */
  'monitors.run': method(z.object({ name: MonitorName }), MonitorRun, {
    long: true,
    writes: (p) => [e.monitors, e.monitor(p.name), e.alerts, e.driftReports],
  }),
  'alerts.list': method(
    z.object({ state: AlertState.optional(), monitor: MonitorName.optional() }),
    z.object({ alerts: z.array(Alert) }),
    { reads: () => [e.alerts] },
  ),
  /** The deployment's newest logged requests (the log is read first). */
  'deployments.requests': method(
    z.object({ name: DeploymentName, limit: z.number().int().min(1).max(1000).default(100) }),
    z.object({ requests: z.array(LoggedRequest) }),
    { reads: nothing },
  ),
  'labels.add': method(AddLabelsParams, AddLabelsResult, {
    writes: () => [e.monitors, e.alerts],
  }),
};
