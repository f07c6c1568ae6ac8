/** `mlwb deploy …` and `mlwb deployments …`: thin over the API's `deployments.*` methods. */
import { parseArgs } from 'node:util';
import type { Deployment, DeploymentDetail, UpdateResult } from '../../shared/deployments.ts';
import { parseModelRef } from '../../shared/modelRef.ts';
import type { Api } from '../core/api.ts';
import { CheckFailed, formatTime, type Out, progressOf, table, UsageError } from './output.ts';
import { subcommandArgs } from './subcommand.ts';

export const deployHelp = `Usage: mlwb deploy NAME@V|NAME@ALIAS [--port P] [--engine E] [--name N]
                   [--mode container|swarm] [--replicas N] [--no-follow] [--timeout SECONDS]

  Packages the version when needed, starts it on the engine (127.0.0.1, or the engine's host),
  waits until it is ready and records the deployment. By alias, the deployment follows the alias:
  when it moves, the deployment is replaced, health-gated (--no-follow: it stays put).
  On a Swarm manager the deployment is a service (--replicas N); --mode container forces one
  container.`;

export const deploymentsHelp = `Usage: mlwb deployments <command>

  list                          deployments with status, URL and version
  show NAME                     one deployment: status, last replacement, history
  logs NAME [--tail N]          the serving container's log
  requests NAME [--limit N]     its newest logged requests (id, time, version, status, latency)
  update NAME NAME@V|NAME@ALIAS [--timeout SECONDS]
                                replace the version, health-gated: the new one must be ready
                                before traffic moves; when it is not, the old one keeps serving
                                (exit 3, with the reason)
  restart NAME                  start a stopped deployment, or roll a fresh container
  stop NAME                     stop serving (requests in flight finish)
  remove NAME [--force]         stop and forget it (its request logs stay); --force forgets it
                                even when its engine does not answer`;

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(text)) throw new UsageError(`${flag} needs a whole number of seconds.`);
  return Number(text);
}

function uptime(d: Deployment): string {
  if (!d.startedAt) return '-';
  const s = Math.max(0, Math.round((Date.now() - d.startedAt) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

const refOf = (d: Deployment) =>
  `${d.model}@${d.version}${d.alias ? ` (${d.alias}${d.followAlias ? ', follows' : ''})` : ''}`;

function describeDeployment(d: DeploymentDetail): string {
  const lines = [
    `${d.name}  ${d.status}  ${d.url}`,
    `  model     ${refOf(d)}${d.aliasVersion ? `; the alias now points at version ${d.aliasVersion}` : ''}`,
    `  engine    ${d.engine ?? 'default'} (${d.mode}${d.mode === 'swarm' ? `, ${d.replicas} replica(s)` : ''})`,
    `  image     ${d.image || '-'}`,
    `  uptime    ${uptime(d)}${d.container ? `  container ${d.container.slice(0, 12)}` : ''}`,
  ];
  if (d.problem) lines.push(`  problem   ${d.problem}`);
  const r = d.lastReplacement;
  if (r)
    lines.push(
      `  last replacement  ${r.from} → ${r.to} ${r.outcome} ${formatTime(r.at)}${r.reason ? `: ${r.reason}` : ''}`,
    );
  if (d.lastLogLines.length) lines.push('  last log lines:', ...d.lastLogLines.map((l) => `    ${l}`));
  if (d.history.length)
    lines.push(
      '  history:',
      ...d.history
        .slice(-10)
        .map((e) => `    ${formatTime(e.at)}  ${e.kind.padEnd(11)} v${e.version}  ${e.message}`),
    );
  return lines.join('\n');
}

function updated(out: Out, r: UpdateResult): number {
  out.result(r, () =>
    r.outcome === 'replaced'
      ? `${r.deployment.name} now serves ${r.deployment.model}@${r.deployment.version} at ${r.deployment.url}`
      : r.deployment.status === 'running'
        ? `${r.deployment.name} kept serving ${r.deployment.model}@${r.deployment.version}: the new version did not become ready.\n  ${r.reason ?? ''}`
        : `${r.deployment.name} is ${r.deployment.status}: the new container did not become ready.\n  ${r.reason ?? ''}`,
  );
  if (r.outcome === 'rolled-back') throw new CheckFailed(r);
  return 0;
}

export async function deployCommand(
  api: Api,
  rest: string[],
  out: Out,
  signal: AbortSignal,
): Promise<number> {
  if (rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') {
    out.result({ help: deployHelp }, () => deployHelp);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      engine: { type: 'string' },
      name: { type: 'string' },
      mode: { type: 'string' },
      replicas: { type: 'string' },
      'no-follow': { type: 'boolean' },
      timeout: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(deployHelp);
  const ref = parseModelRef(positionals[0]!);
  if (!ref.name) throw new UsageError(`"${positionals[0]}" does not name a model.`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    throw new UsageError('--port needs a port number (1–65535).');
  const replicas = values.replicas === undefined ? undefined : Number(values.replicas);
  if (replicas !== undefined && !(Number.isInteger(replicas) && replicas > 0))
    throw new UsageError('--replicas needs a whole number ≥ 1.');
  if (values.mode !== undefined && values.mode !== 'container' && values.mode !== 'swarm')
    throw new UsageError('--mode is container or swarm.');
  const r = await api.call(
    'deployments.create',
    {
      model: ref.name,
      ...(ref.version !== undefined ? { version: ref.version } : {}),
      ...(ref.alias !== undefined ? { alias: ref.alias } : {}),
      port,
      engine: values.engine as string | undefined,
      name: values.name as string | undefined,
      mode: values.mode as 'container' | 'swarm' | undefined,
      replicas,
      ...(values['no-follow'] ? { followAlias: false } : {}),
      readyTimeoutSeconds: seconds(values.timeout as string | undefined, '--timeout'),
    },
    { signal, onProgress: progressOf(out) },
  );
  out.progressDone();
  out.result(
    r,
    () =>
      `${r.deployment.name} serves ${refOf(r.deployment)} at ${r.url}\n  try it:  curl -s ${r.url}/v2/models/${r.deployment.model}`,
  );
  return 0;
}

export async function deploymentsCommand(
  api: Api,
  rest: string[],
  out: Out,
  signal: AbortSignal,
): Promise<number> {
  const [sub, ...args] = rest;
  const { parse, one } = subcommandArgs('deployments', args);
  switch (sub) {
    case 'list': {
      parse();
      const list = await api.call('deployments.list', {});
      out.list('deployments', list, () =>
        list.length
          ? table(
              ['NAME', 'STATUS', 'MODEL', 'URL', 'UPTIME', 'MODE'],
              list.map((d) => [d.name, d.status, refOf(d), d.url, uptime(d), d.mode]),
            )
          : 'No deployments yet. Deploy a model version with `mlwb deploy NAME@V`.',
      );
      return 0;
    }
    case 'show': {
      const { name } = one('show NAME');
      const d = await api.call('deployments.get', { name });
      out.result(d, () => describeDeployment(d));
      return 0;
    }
    case 'logs': {
      const { name, values } = one('logs NAME [--tail N]', { tail: { type: 'string' } });
      const tail = values.tail === undefined ? undefined : Number(values.tail);
      if (tail !== undefined && !(Number.isInteger(tail) && tail > 0))
        throw new UsageError('--tail needs a number.');
      const r = await api.call('deployments.logs', { name, tail });
      out.result(r, () => r.lines.map((l) => l.text).join('\n') || '(no log lines)');
      return 0;
    }
    case 'requests': {
      const { name, values } = one('requests NAME [--limit N]', { limit: { type: 'string' } });
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0 && limit <= 1000))
        throw new UsageError('--limit needs a number from 1 to 1000.');
      const { requests } = await api.call('deployments.requests', { name, limit });
      out.list('requests', requests, () =>
        requests.length
          ? table(
              ['ID', 'TIME', 'VERSION', 'STATUS', 'LATENCY', 'ROWS'],
              requests.map((r) => [r.id, formatTime(r.at), r.version, r.status, `${r.latencyMs} ms`, r.rows]),
            )
          : `${name} has logged no requests yet.`,
      );
      return 0;
    }
    case 'update': {
      const { values, positionals } = parse({ timeout: { type: 'string' } });
      if (positionals.length !== 2)
        throw new UsageError('usage: mlwb deployments update NAME NAME@V|NAME@ALIAS [--timeout SECONDS]');
      const [name, target] = positionals as [string, string];
      const ref = parseModelRef(target);
      if (ref.version === undefined && ref.alias === undefined)
        throw new UsageError(`Say which version: ${target}@3, or an alias (${target}@champion).`);
      const current = await api.call('deployments.get', { name });
      if (ref.name !== current.model)
        throw new UsageError(
          `${name} serves ${current.model}; it can move to another version of ${current.model}, not to ${ref.name}. Deploy ${ref.name} under another name.`,
        );
      const r = await api.call(
        'deployments.update',
        {
          name,
          ...(ref.version !== undefined ? { version: ref.version } : { alias: ref.alias }),
          readyTimeoutSeconds: seconds(values.timeout as string | undefined, '--timeout'),
        },
        { signal, onProgress: progressOf(out) },
      );
      out.progressDone();
      return updated(out, r);
    }
    case 'restart': {
      const { name } = one('restart NAME');
      const r = await api.call('deployments.restart', { name }, { signal, onProgress: progressOf(out) });
      out.progressDone();
      return updated(out, r);
    }
    case 'stop': {
      const { name } = one('stop NAME');
      const r = await api.call('deployments.stop', { name }, { signal, onProgress: progressOf(out) });
      out.progressDone();
      out.result(r, () => `${name} stopped. \`mlwb deployments restart ${name}\` starts it again.`);
      return 0;
    }
    case 'remove': {
      const { name, values } = one('remove NAME [--force]', { force: { type: 'boolean' } });
      const r = await api.call(
        'deployments.remove',
        { name, force: values.force === true },
        { signal, onProgress: progressOf(out) },
      );
      out.progressDone();
      // Removing what is not there is done already: scripts can remove unconditionally.
      out.result(r, () =>
        r.removed ? `${name} removed.` : `No deployment named ${name}: nothing to remove.`,
      );
      return 0;
    }
    default:
      if (sub !== undefined && sub !== 'help' && sub !== '--help')
        throw new UsageError(`unknown deployments command "${sub}".\n${deploymentsHelp}`);
      out.result({ help: deploymentsHelp }, () => deploymentsHelp);
      return 0;
  }
}
