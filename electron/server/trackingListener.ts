/**
 * The MLflow-compatible API as run containers reach it: a second listener bound to the Docker
 * bridge's gateway address (reachable from the engine's containers and this machine, not from
 * other machines), accepting only the per-run tokens the workbench hands to its containers.
 * Scripts that call mlflow.log_metric with MLFLOW_TRACKING_URI/TOKEN work unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Workbench } from '../core/workbench.ts';
import { tokenFromRequest } from './httpSecurity.ts';
import { createMlflowHandler, mlflowPath } from './mlflow/mlflowRouter.ts';

export interface TrackingListener {
  uri: string;
  close(): Promise<void>;
}

/** The bridge gateway the engine's containers can reach, e.g. 172.17.0.1; undefined if none. */
async function bridgeGateway(wb: Workbench): Promise<string | undefined> {
  try {
    const net = await wb.engine.docker.getNetwork('bridge').inspect();
    const gw = (net as { IPAM?: { Config?: { Gateway?: string }[] } }).IPAM?.Config?.find(
      (c) => c.Gateway,
    )?.Gateway;
    return gw && /^\d+\.\d+\.\d+\.\d+$/.test(gw) ? gw : undefined;
  } catch {
    return undefined;
  }
}

export async function startTrackingListener(wb: Workbench): Promise<TrackingListener | undefined> {
  // A remote engine's containers cannot reach this machine's bridge: no listener then.
  if (!wb.engine.host.startsWith('unix://')) return undefined;
  const gateway = await bridgeGateway(wb);
  if (!gateway) return undefined;
  const handle = createMlflowHandler(wb.tracking, { onChange: (entities) => wb.events.changed(...entities) });
  const activeToken = wb.db.prepare(
    "SELECT 1 FROM runs WHERE api_token = ? AND status IN ('QUEUED', 'RUNNING')",
  );
  const server = http.createServer((req, res) => {
    const token = tokenFromRequest(req);
    const route = mlflowPath(new URL(req.url ?? '/', 'http://x').pathname);
    if (route === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          error_code: 'ENDPOINT_NOT_FOUND',
          message: 'Only the MLflow REST API is served here.',
        }),
      );
      return;
    }
    if (!token || !activeToken.get(token)) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          error_code: 'UNAUTHENTICATED',
          message: 'Set MLFLOW_TRACKING_TOKEN to the token of a running run.',
        }),
      );
      return;
    }
    handle(req, res, route).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, gateway, () => resolve());
    });
  } catch {
    return undefined;
  }
  const { port } = server.address() as AddressInfo;
  const uri = `http://${gateway}:${port}`;
  wb.runs.setTrackingEndpoint(uri);
  return {
    uri,
    async close() {
      wb.runs.setTrackingEndpoint(undefined);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
