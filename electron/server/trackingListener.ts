/**
 * The MLflow-compatible API as run containers reach it: a second listener bound to this machine's
 * address on the workbench's internal Docker network for runs (core/training/runNetwork.ts), the
 * only place a run's network leads to. It accepts only the per-run tokens the workbench hands to
 * its containers, and each only while its run is open. A token opens its own run and nothing
 * else: the listener finds the run it belongs to and the handler holds every request to that run
 * (mlflow/runScope.ts). Scripts that call mlflow.log_metric with MLFLOW_TRACKING_URI/TOKEN work
 * unchanged.
 *
 * Before each launch the network is checked (`attach`): made again if it has gone (a `docker
 * network prune` while no run used it), and listened on anew if it came back on another subnet;
 * and, at the same time, the host firewall rules that keep runs to this listener
 * (core/training/runFirewall.ts), put back if a firewall reload dropped them. A run whose rules
 * cannot be in place still starts, and its log says first what it can reach and why. While runs
 * run, the rules are checked every GUARD_MS too (guardRunning), so a reload between launches does
 * not leave running runs open.
 *
 * Any workbench process on the home can answer any run (tokens are checked against the store), so
 * a process that takes over a run from one that has gone also listens on the port that run was
 * given (`serveAlso`): the run's MLflow calls keep working for its whole life. When no listener
 * can be started, the run service is told why, and each run's log says so at its start.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunFirewall, runFirewall } from '../core/training/runFirewall.ts';
import { type Attachment, METRICS_INSTEAD } from '../core/training/runLauncher.ts';
import { ensureRunNetwork, RUNS, type RunNetworkName } from '../core/training/runNetwork.ts';
import type { Workbench } from '../core/workbench.ts';
import { tokenFromRequest } from './httpSecurity.ts';
import { createMlflowHandler, mlflowPath, type RunScope } from './mlflow/mlflowRouter.ts';

/** How often the host firewall is checked while this process follows runs (see guardRunning). */
export const GUARD_MS = 30_000;
/** How long the guard waits for the engine to describe a run's container. */
const INSPECT_MS = 10_000;
/** How often at most a run is told that the rules were put back. */
const REPAIR_NOTE_QUIET_MS = 10 * 60_000;
const RULES_BACK =
  "The host firewall rules that keep this run off this machine's other services were found gone or behind another rule (a firewall reload does that) and were put back";
const RULES_GONE =
  "The host firewall rules that keep this run off this machine's other services were found gone and could not be put back";

export interface TrackingListener {
  /** Where this process's runs log now (the run network's gateway). */
  readonly uri: string;
  close(): Promise<void>;
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

/** The listener's address on the run network now; it moves when the network is made again. */
interface Bound {
  gateway: string;
  uri: string;
}

export async function startTrackingListener(
  wb: Workbench,
  /** The run network, and its host firewall: those of `mlwb-runs` unless a test gives its own. */
  opts: { network?: RunNetworkName; firewall?: RunFirewall; guardMs?: number } = {},
): Promise<TrackingListener | undefined> {
  // A remote engine's containers cannot reach this machine's bridge: no listener then.
  if (!wb.engine.host.startsWith('unix://')) {
    wb.runs.setTrackingEndpoint(
      undefined,
      `the workbench's default engine (${wb.engine.host}) is not this machine's local Docker socket, so it serves MLflow on no local Docker network`,
    );
    return undefined;
  }
  const docker = wb.engine.docker;
  const first = await ensureRunNetwork(docker, opts.network);
  if (first.problem !== undefined) {
    wb.runs.setTrackingEndpoint(undefined, first.problem);
    return undefined;
  }
  const handle = createMlflowHandler(wb.tracking, {
    onChange: (entities) => wb.events.changed(...entities),
    registry: wb.registry,
  });
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
    const scope: RunScope | undefined = token ? wb.tracking.openRunOfToken(token) : undefined;
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
  /** Every server this listener runs, by `host:port`: its first, and those serveAlso and attach add. */
  const servers = new Map<string, http.Server>();
  /** Listens on a free port of the gateway; why not when it cannot. */
  const bindOn = async (gateway: string): Promise<Bound | { problem: string }> => {
    const server = http.createServer(serve);
    try {
      await listen(server, 0, gateway);
    } catch (err) {
      return {
        problem: `the workbench could not listen on ${gateway}, its address on the Docker network for runs (${(err as Error).message})`,
      };
    }
    const { port } = server.address() as AddressInfo;
    servers.set(`${gateway}:${port}`, server);
    return { gateway, uri: `http://${gateway}:${port}` };
  };
  const bound = await bindOn(first.network.gateway);
  if ('problem' in bound) {
    wb.runs.setTrackingEndpoint(undefined, bound.problem);
    return undefined;
  }
  let current: Bound = bound;
  const firewall = opts.firewall ?? runFirewall(docker, (opts.network ?? RUNS).bridge);
  const pending = new Map<string, Promise<boolean>>();
  const serveAlso = (other: string): Promise<boolean> => {
    let url: URL;
    try {
      url = new URL(other);
    } catch {
      return Promise.resolve(false);
    }
    const p = Number(url.port);
    if (url.hostname !== current.gateway || !Number.isInteger(p) || p <= 0) return Promise.resolve(false);
    const key = `${url.hostname}:${p}`;
    if (servers.has(key)) return Promise.resolve(true);
    // Two runs of the same gone process share its port: one listen for both.
    let started = pending.get(key);
    if (!started) {
      const server = http.createServer(serve);
      started = listen(server, p, url.hostname).then(
        () => {
          servers.set(key, server);
          return true;
        },
        () => false,
      );
      pending.set(key, started);
      void started.then(() => pending.delete(key));
    }
    return started;
  };
  // One check of the network at a time: two launches never both listen on a new gateway.
  let checking: Promise<unknown> = Promise.resolve();
  const attach = (host: string): Promise<Attachment> => {
    const next = checking.then(async (): Promise<Attachment> => {
      if (host !== wb.engine.host)
        return {
          problem: `its engine (${host}) is not the one the workbench serves MLflow to (${wb.engine.host})`,
        };
      const [net, gap] = await Promise.all([ensureRunNetwork(docker, opts.network), firewall.check()]);
      if (net.problem !== undefined) return net;
      if (gap?.closed) return { problem: gap.closed };
      const exposed = gap?.open;
      // Made again (pruned while no run used it) on another subnet: listen on its gateway too.
      // Servers on the old address stay until close: a run may still be posting to them.
      if (net.network.gateway !== current.gateway) {
        const moved = await bindOn(net.network.gateway);
        if ('problem' in moved) return moved;
        current = moved;
      }
      return { network: net.network.id, uri: current.uri, ...(exposed ? { exposed } : {}) };
    });
    checking = next.catch(() => {});
    return next;
  };
  wb.runs.setTrackingEndpoint({ serveAlso, attach });
  let closing = false;
  const guard = setInterval(() => {
    // A failure here (a full disk for a note) must never end the host process.
    guardRunning().catch(() => {});
  }, opts.guardMs ?? GUARD_MS);
  guard.unref();
  let guarding = false;
  const startedAt = Date.now();
  /**
   * Per run followed here: the latest repair it was told of and when; whether it was told that the
   * rules could not be checked, or that its disconnect failed; whether it was taken off. Pruned to
   * the runs still followed.
   */
  const told = new Map<string, { repair: number; at: number; unchecked?: boolean; offFailed?: boolean }>();
  /**
   * While this process follows runs on the run network, the firewall is checked every GUARD_MS,
   * not only at launches: a reload that drops the rules leaves those runs open that long at most.
   * A run started before a repair this process's checks made is told of it in its log (the latest
   * one, at most once per REPAIR_NOTE_QUIET_MS); where iptables cannot put the rules back, the runs
   * are taken off the network (MLflow tracking stops; metrics files and printed metrics still
   * count) and told why, the disconnect tried again each time until it works; a check that could
   * not run (engine error, no helper image, no answer) changes nothing, is told once, and is tried
   * again.
   */
  async function guardRunning(): Promise<void> {
    if (guarding || closing) return;
    guarding = true;
    try {
      const network = (opts.network ?? RUNS).name;
      const runs = await runsOnNetwork(network);
      for (const id of told.keys()) if (!runs.some((r) => r.runId === id)) told.delete(id);
      if (!runs.length || closing) return;
      const gap = await firewall.check();
      if (closing) return;
      const at = new Date().toISOString();
      const repairedAt = firewall.repairedAt;
      for (const run of runs) {
        const mine = told.get(run.runId) ?? { repair: startedAt, at: 0 };
        told.set(run.runId, mine);
        if (!gap?.closed) {
          if (
            repairedAt > mine.repair &&
            run.startedAt < repairedAt &&
            Date.now() - mine.at > REPAIR_NOTE_QUIET_MS
          ) {
            Object.assign(mine, { repair: repairedAt, at: Date.now() });
            noteQuietly(
              run.runId,
              `${RULES_BACK} at ${new Date(repairedAt).toISOString()}: until then this run could reach them.`,
            );
          }
        } else if (!gap.refused) {
          if (mine.unchecked) continue;
          mine.unchecked = true;
          noteQuietly(
            run.runId,
            `The workbench could not check the host firewall rules that keep this run off this machine's other services at ${at}, and checks again every ${Math.round((opts.guardMs ?? GUARD_MS) / 1000)} s: ${gap.why}`,
          );
        } else {
          // On the network still: taken off now, or tried again next time (said once).
          const failed = await docker
            .getNetwork(network)
            .disconnect({ Container: run.container.id, Force: true })
            .then(
              () => undefined,
              (err: Error) => err.message,
            );
          if (failed === undefined)
            noteQuietly(
              run.runId,
              `${RULES_GONE} at ${at}, so the run was taken off its network at ${new Date().toISOString()}: MLflow tracking stops here. ${METRICS_INSTEAD} Why: ${gap.why}`,
            );
          else if (!mine.offFailed) {
            mine.offFailed = true;
            noteQuietly(
              run.runId,
              `${RULES_GONE} at ${at}, and the run could not be taken off its network (${failed}); the workbench tries again every ${Math.round((opts.guardMs ?? GUARD_MS) / 1000)} s: stop it (mlwb runs cancel ${run.runId}) if it must not reach them. Why: ${gap.why}`,
            );
          }
        }
      }
    } finally {
      guarding = false;
    }
  }
  /**
   * The runs this process follows that are on the network, with their containers' start times; a
   * container the engine does not describe within INSPECT_MS is left for the next time.
   */
  async function runsOnNetwork(network: string) {
    const followed = await Promise.all(
      wb.runs.followedHere().map(async (run) => {
        const c = await run.container
          .inspect({ abortSignal: AbortSignal.timeout(INSPECT_MS) })
          .catch(() => undefined);
        if (!c || !(network in (c.NetworkSettings?.Networks ?? {}))) return undefined;
        return { ...run, startedAt: Date.parse(c.State?.StartedAt ?? '') || 0 };
      }),
    );
    return followed.filter((r) => r !== undefined);
  }
  function noteQuietly(runId: string, text: string): void {
    try {
      wb.runs.note(runId, text);
    } catch {
      // a log that cannot be written (full disk) fails nothing else
    }
  }
  return {
    get uri() {
      return current.uri;
    },
    async close() {
      closing = true;
      clearInterval(guard);
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
