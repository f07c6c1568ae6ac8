/**
 * A container-mode deployment's status, read from its containers alone (labels and state), so it
 * holds after a restart of the workbench or with the store's record gone:
 * - no front → `missing`;
 * - front running, two model containers running → `replacing` (the older one is the live one);
 * - front running, one model container running: `running` once its server said ready (its health
 *   check passed, or its ready line is in its log since it started), else `starting`; `dead` when
 *   a bridge front started after it (a restarted one has a new network namespace the model is not in);
 * - front running, no model container running → `dead`, with the exit code and last log lines;
 * - front and model containers all exited with 0 or 143 (what `docker stop` leaves: the server
 *   and the front both end cleanly on SIGTERM) → `stopped`; any other exit → `dead`.
 * stop() stops the front too, so a deployment stopped on purpose reads as `stopped` with nothing
 * remembered outside the engine; one killed, out of memory or crashed reads as `dead`.
 */
import type Docker from 'dockerode';
import { engine, frontServes, generationOf, isRunning, roleOf } from './deployContainers.ts';
import { frontName, netOf } from './netFront.ts';
import { DEPLOY_LABELS, type Observed } from './runtime.ts';
import { demuxLines, isReadyLine, LAST_LINES, lastLines, lineTexts } from './serverReadiness.ts';

/** Exit codes `docker stop` leaves: the server's and the front's clean exit, and 128+SIGTERM. */
const CLEAN_EXITS = new Set([0, 143]);

/** A container's exit in words, for `problem`. */
function describeExit(what: string, s: Docker.ContainerInspectInfo['State'], restarts: number): string {
  const code = s.ExitCode;
  const how = s.OOMKilled
    ? `was killed for using more memory than its limit (exit code ${code})`
    : code === 137
      ? 'was killed (exit code 137)'
      : `exited with code ${code}`;
  const error = s.Error ? ` (${s.Error})` : '';
  const again = s.Restarting ? `, and keeps restarting (${restarts} restarts)` : '';
  return `${what} ${how}${error}${again}. Read its last log lines, then restart the deployment or replace it with another version.`;
}

export async function observeDeployment(
  docker: Docker,
  name: string,
  cs: Docker.ContainerInfo[],
): Promise<Observed> {
  const front = cs.find((c) => roleOf(c) === 'front');
  const models = cs.filter((c) => roleOf(c) === 'model').sort((a, b) => generationOf(a) - generationOf(b));
  const running = models.filter(isRunning);
  const newest = models.at(-1);
  const seen = (
    status: Observed['status'],
    c: Docker.ContainerInfo | undefined,
    more: Partial<Observed> = {},
  ) =>
    ({
      deployment: name,
      status,
      problem: null,
      container: null,
      version: c ? Number(c.Labels[DEPLOY_LABELS.version]) : null,
      startedAt: null,
      lastLogLines: [],
      labels: (c ?? front ?? cs[0])?.Labels ?? {},
      ...more,
    }) satisfies Observed;
  const tailOf = async (c: Docker.ContainerInfo | undefined) =>
    c ? lineTexts(await lastLines(docker.getContainer(c.Id), LAST_LINES)) : [];
  const inspect = (c: Docker.ContainerInfo) => engine(docker.getContainer(c.Id).inspect());

  if (!front)
    return seen('missing', newest, {
      problem: `Its front container ${frontName(name)} is gone from the engine (removed by hand?), so its port is closed. Remove the deployment and deploy it again.`,
    });
  const f = await inspect(front);
  // A front in a loop of restarts (its port taken by another program, say) does not serve.
  const frontUp = frontServes(f);
  if (frontUp && running.length > 0) {
    const live = running[0]!;
    const info = await inspect(live);
    const startedAt = Date.parse(info.State.StartedAt);
    const at = { container: live.Id, startedAt };
    if (running.length > 1) return seen('replacing', live, at);
    if (netOf(f) === 'bridge' && startedAt < Date.parse(f.State.StartedAt))
      return seen('dead', live, {
        ...at,
        problem: `Its front container ${frontName(name)} restarted after the model container, which is no longer reachable at the port. Restart the deployment to reattach it.`,
      });
    const health = info.State.Health?.Status;
    if (health === 'healthy') return seen('running', live, at);
    // The health check runs every 10 s: the server's own ready line answers sooner.
    const since = (await engine(
      docker.getContainer(live.Id).logs({ stdout: true, stderr: false, since: Math.floor(startedAt / 1000) }),
    )) as Buffer;
    const ready = demuxLines(since).some((l) => isReadyLine(l.text));
    if (!ready) return seen('starting', live, at);
    if (health === 'unhealthy')
      return seen('running', live, {
        ...at,
        problem:
          'Its model server fails its readiness check (/v2/health/ready). Read its logs; restart it if it does not recover.',
      });
    return seen('running', live, at);
  }
  if (frontUp) {
    if (!newest)
      return seen('dead', undefined, {
        problem: 'It has no model container (removed by hand?). Restart the deployment.',
      });
    const info = await inspect(newest);
    return seen('dead', newest, {
      problem: describeExit('Its model container', info.State, info.RestartCount),
      lastLogLines: await tailOf(newest),
    });
  }
  if (running.length)
    return seen('dead', running[0], {
      container: running[0]!.Id,
      problem: `Its front container ${frontName(name)} ${f.State.Restarting ? 'keeps restarting' : 'is stopped'}, so its port is closed. Restart the deployment.`,
    });
  const infos = await Promise.all(models.map(inspect));
  const unclean = [
    { what: `Its front container ${frontName(name)}`, info: f },
    ...infos.map((info) => ({ what: 'Its model container', info })),
  ].find(
    ({ info }) => info.State.OOMKilled || info.State.Restarting || !CLEAN_EXITS.has(info.State.ExitCode),
  );
  if (!unclean) return seen('stopped', newest);
  return seen('dead', newest, {
    problem: describeExit(unclean.what, unclean.info.State, unclean.info.RestartCount),
    lastLogLines: await tailOf(newest),
  });
}
