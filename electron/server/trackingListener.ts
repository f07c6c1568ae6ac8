/**
 * The MLflow-compatible API as run containers reach it: a second listener bound to the Docker
 * bridge's gateway address (reachable from the engine's containers and this machine, not from
 * other machines), accepting only the per-run tokens the workbench hands to its containers, and
 * each only while its run is open. A token opens its own run and nothing else: the listener finds
 * the run it belongs to and the handler holds every request to that run (mlflow/runScope.ts).
 * Scripts that call mlflow.log_metric with MLFLOW_TRACKING_URI/TOKEN work unchanged.
 *
 * Any workbench process on the home can answer any run (tokens are checked against the store), so
 * a process that takes over a run from one that has gone also listens on the port that run was
 * given (`serveAlso`): the run's MLflow calls keep working for its whole life. When no listener
 * can be started, the run service is told why, and each run's log says so at its start.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Workbench } from '../core/workbench.ts';
import { tokenFromRequest } from './httpSecurity.ts';
import { createMlflowHandler, mlflowPath, type RunScope } from './mlflow/mlflowRouter.ts';

export interface TrackingListener {
  uri: string;
  close(): Promise<void>;
}

/**
 * The bridge gateway the engine's containers can reach, e.g. 172.17.0.1; undefined if none. Some
 * engines (Docker 20.10's default bridge) leave the gateway out of the network's IPAM config; the
 * gateway is then the subnet's first address, as Docker assigns it (listening on it proves it is
 * this machine's).
 */
async function bridgeGateway(wb: Workbench): Promise<string | undefined> {
  try {
    const net = (await wb.engine.docker.getNetwork('bridge').inspect()) as {
      IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] };
    };
    const configs = net.IPAM?.Config ?? [];
    const gw = configs.map((c) => c.Gateway).find((a) => a && IPV4.test(a));
    return gw ?? configs.map((c) => firstAddress(c.Subnet)).find(Boolean);
  } catch {
    return undefined;
  }
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** 172.17.0.0/16 → 172.17.0.1; undefined for anything but an IPv4 subnet with room for hosts. */
function firstAddress(subnet: string | undefined): string | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet ?? '');
  if (!m || Number(m[2]) > 30) return undefined;
  const octets = m[1]!.split('.').map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const bits = Number(m[2]);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const network = bits === 0 ? 0 : base - (base % 2 ** (32 - bits));
  const first = network + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join('.');
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startTrackingListener(wb: Workbench): Promise<TrackingListener | undefined> {
  // A remote engine's containers cannot reach this machine's bridge: no listener then.
  if (!wb.engine.host.startsWith('unix://')) {
    wb.runs.setTrackingEndpoint(
      undefined,
      `the workbench's default engine (${wb.engine.host}) is not this machine's local Docker socket, so it serves MLflow on no local Docker bridge`,
    );
    return undefined;
  }
  const gateway = await bridgeGateway(wb);
  if (!gateway) {
    wb.runs.setTrackingEndpoint(
      undefined,
      'the Docker engine shows no IPv4 gateway on its "bridge" network, so the workbench has no address its containers can reach (is the engine started with --bridge=none?)',
    );
    return undefined;
  }
  const handle = createMlflowHandler(wb.tracking, {
    onChange: (entities) => wb.events.changed(...entities),
    registry: wb.registry,
  });
  const runOfToken = wb.db.prepare(
    "SELECT id AS runId, experiment_id AS experimentId FROM runs WHERE api_token = ? AND status IN ('QUEUED', 'RUNNING')",
  );
  const serve: http.RequestListener = (req, res) => {
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
    const scope = token ? (runOfToken.get(token) as RunScope | undefined) : undefined;
    if (!scope) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          error_code: 'UNAUTHENTICATED',
          message: 'Set MLFLOW_TRACKING_TOKEN to the token of a running run.',
        }),
      );
      return;
    }
    handle(req, res, route, scope).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const servers = new Map<number, http.Server>();
  const main = http.createServer(serve);
  try {
    await listen(main, 0, gateway);
  } catch (err) {
    wb.runs.setTrackingEndpoint(
      undefined,
      `the workbench could not listen on the Docker bridge's gateway ${gateway} (${(err as Error).message})`,
    );
    return undefined;
  }
  const { port } = main.address() as AddressInfo;
  servers.set(port, main);
  const uri = `http://${gateway}:${port}`;
  const pending = new Map<number, Promise<boolean>>();
  const serveAlso = (other: string): Promise<boolean> => {
    let url: URL;
    try {
      url = new URL(other);
    } catch {
      return Promise.resolve(false);
    }
    const p = Number(url.port);
    if (url.hostname !== gateway || !Number.isInteger(p) || p <= 0) return Promise.resolve(false);
    if (servers.has(p)) return Promise.resolve(true);
    // Two runs of the same gone process share its port: one listen for both.
    let started = pending.get(p);
    if (!started) {
      const server = http.createServer(serve);
      started = listen(server, p, gateway).then(
        () => {
          servers.set(p, server);
          return true;
        },
        () => false,
      );
      pending.set(p, started);
      void started.then(() => pending.delete(p));
    }
    return started;
  };
  wb.runs.setTrackingEndpoint({ uri, serveAlso });
  return {
    uri,
    async close() {
      wb.runs.setTrackingEndpoint(undefined);
      await Promise.all(
        [...servers.values()].map((s) => {
          s.closeAllConnections();
          return new Promise<void>((r) => s.close(() => r()));
        }),
      );
    },
  };
}
