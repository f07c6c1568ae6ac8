/**
 * Deployments (docs/architecture.md, "Deployments"): deploy a model version, replace it
 * health-gated, stop, restart, remove, follow an alias, and read what runs from the engines.
 *
 * The store holds what the user asked for (deploymentRepo.ts); the engine holds what runs, read on
 * every look through a runtime (runtime.ts): a `container` runtime on a plain engine, a `swarm`
 * one on a Swarm manager. Everything made on an engine carries labels naming this home, so a
 * deployment is found again from the engine alone: after an app restart, and even when its record
 * is gone.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  type Deployment,
  type DeploymentDetail,
  type DeploymentLogs,
  type DeploymentMetrics,
  type DeploymentMode,
  type DeployParams,
  type DeployResult,
  deploymentNameFor,
  type FollowedAlias,
  type InvokeResult,
  type UpdateParams,
  type UpdateResult,
} from '../../../shared/deployments.ts';
import type { ModelVersion } from '../../../shared/registry.ts';
import type { EngineTarget } from '../docker/engine.ts';
import type { EngineRegistry } from '../docker/engineRegistry.ts';
import { conflict, invalidInput, WorkbenchError } from '../errors.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { OpContext } from '../ops/operations.ts';
import type { RegistryService } from '../registry/registryService.ts';
import { packageModel } from '../serving/modelImage.ts';
import type { Db } from '../store/database.ts';
import { DeploymentEngines, engineHostname, isLocalEngine, type RuntimesFor } from './deploymentEngines.ts';
import { type DeploymentRecord, DeploymentRepo } from './deploymentRepo.ts';
import { requestLogVolume, runtimeSpec, type SpecParams, setAsideRequestLog } from './deploymentSpec.ts';
import {
  deploymentView,
  pick,
  plainText,
  recordFromLabels,
  type Seen,
  type Unreachable,
  urlOf,
} from './deploymentView.ts';
import { setAsideRemoteLog } from './remoteRequestLog.ts';
import type { Observed, RuntimeSpec } from './runtime.ts';
import { type MetricsSample, parseServerMetrics, serverFigures } from './serverMetrics.ts';

/** Rates are over the time since the previous read, but never a window longer than this. */
const MAX_METRICS_WINDOW_MS = 60_000;

export interface DeploymentDeps {
  home: string;
  db: Db;
  objects: ObjectStore;
  registry: RegistryService;
  engines: EngineRegistry;
  /** The runtimes for an engine; loaded on first use (dockerode is not needed to open a home). */
  runtimes?: RuntimesFor;
}

export class DeploymentService {
  readonly repo: DeploymentRepo;
  /** Identifies this home's objects on the engines. */
  readonly homeId: string;
  private readonly engines: DeploymentEngines;
  private readonly lastSample = new Map<string, MetricsSample>();

  constructor(private readonly d: DeploymentDeps) {
    this.repo = new DeploymentRepo(d.db);
    this.homeId = createHash('sha256').update(path.resolve(d.home)).digest('hex').slice(0, 16);
    this.engines = new DeploymentEngines(d.engines, this.homeId, d.runtimes);
  }

  // ---- reading -------------------------------------------------------------------------------

  async list(): Promise<Deployment[]> {
    const records = this.repo.list();
    const engines = new Set<string | null>([null, ...records.map((r) => r.engine)]);
    const seen = new Map<string | null, Map<string, Observed> | Unreachable>();
    await Promise.all(
      [...engines].map(async (engine) => {
        seen.set(engine, await this.observeEngine(engine, records));
      }),
    );
    const out: Deployment[] = [];
    const known = new Set(records.map((r) => r.name));
    for (const r of records) out.push(this.view(r, pick(seen.get(r.engine), r.name)));
    // Deployments the engines show and the store does not know: made before the record was written
    // (a crash), or by this home before its database was replaced. Taken back from their labels.
    for (const [engine, observed] of seen) {
      if (!(observed instanceof Map)) continue;
      for (const [name, o] of observed) {
        if (known.has(name)) continue;
        const adopted = this.adopt(engine, o);
        if (adopted) out.push(this.view(adopted, o));
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<DeploymentDetail> {
    const r = this.repo.get(name);
    const observed = pick(await this.observeEngine(r.engine, [r]), name);
    return {
      ...this.view(r, observed),
      history: this.repo.history(name),
      lastLogLines: observed && 'lastLogLines' in observed ? observed.lastLogLines.map(plainText) : [],
    };
  }

  async logs(name: string, tail = 200): Promise<DeploymentLogs> {
    const r = this.repo.get(name);
    return (await this.engines.runtimeFor(r)).logs(name, tail);
  }

  async metrics(name: string): Promise<DeploymentMetrics> {
    const r = this.repo.get(name);
    const runtime = await this.engines.runtimeFor(r);
    const answer = await runtime.request(name, this.url(r), { method: 'GET', path: '/metrics' });
    if (answer.status !== 200)
      throw new WorkbenchError(
        'CONFLICT',
        `${name} did not give its figures (/metrics answered ${answer.status}). Is it running? \`mlwb deployments show ${name}\` says.`,
      );
    const sample = parseServerMetrics(answer.body, Date.now());
    const previous = this.lastSample.get(name);
    const usable =
      previous &&
      sample.at - previous.at <= MAX_METRICS_WINDOW_MS &&
      sample.requestsTotal >= previous.requestsTotal
        ? previous
        : undefined;
    this.lastSample.set(name, sample);
    return serverFigures(sample, usable);
  }

  async invoke(name: string, requestPath: string, body: unknown): Promise<InvokeResult> {
    const r = this.repo.get(name);
    const runtime = await this.engines.runtimeFor(r);
    const answer = await runtime.request(name, this.url(r), {
      method: 'POST',
      path: requestPath,
      body: JSON.stringify(body),
      contentType: 'application/json',
    });
    let parsed: unknown = answer.body;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      // Not JSON (an HTML error page from something else on the port): shown as text.
    }
    return { status: answer.status, latencyMs: answer.latencyMs, body: parsed };
  }

  // ---- commands ------------------------------------------------------------------------------

  async create(p: DeployParams, ctx: OpContext): Promise<DeployResult> {
    const version = this.d.registry.resolve({ name: p.model, version: p.version, alias: p.alias });
    const name = p.name ?? deploymentNameFor(version.name);
    if (this.repo.find(name))
      throw conflict(
        `A deployment named ${name} exists already. Update it (\`mlwb deployments update ${name} ${version.name}@${version.version}\`) or pick another name with --name.`,
      );
    const engineName = p.engine && p.engine !== 'default' ? p.engine : null;
    const target = this.engines.target(engineName);
    const runtimes = await this.engines.runtimes(target);
    const mode: DeploymentMode = p.mode ?? ((await runtimes.isSwarmManager()) ? 'swarm' : 'container');
    const replicas = p.replicas ?? 1;
    if (mode === 'container' && replicas > 1)
      throw invalidInput(
        `${replicas} replicas need a Swarm manager: a plain engine runs one container. Deploy to a Swarm manager (docker swarm init), or leave replicas at 1.`,
      );
    const local = isLocalEngine(target);
    const bindHost = local ? '127.0.0.1' : '0.0.0.0';
    const urlHost = local ? '127.0.0.1' : engineHostname(target);
    const followAlias = p.alias !== undefined && (p.followAlias ?? true);
    const runtime = mode === 'swarm' ? runtimes.swarm : runtimes.container;
    let port = p.port ?? (await this.engines.freePort(this.repo.portsOn(engineName), local));

    // Recorded (and held) before anything is made: a look at the engine meanwhile (the page polls)
    // sees a deployment being made, not a stranger to adopt; a failure forgets it again.
    this.repo.create(
      {
        name,
        model: version.name,
        version: version.version,
        alias: p.alias ?? null,
        followAlias,
        engine: engineName,
        mode,
        replicas,
        bindHost,
        urlHost,
        port,
        image: '',
        desired: 'running',
        generation: 1,
      },
      null,
      `its first deployment (${version.name}@${version.version})`,
    );
    // Servers of this home may still write its old log under that name: a deployment forgotten
    // while its engine did not answer, stopped, or a service between tasks (no running container
    // shows it). Asked only when there is an old log.
    const stillWritten = async () => (await runtime.observe(this.homeId)).has(name);
    try {
      if (local) await setAsideRequestLog(this.d.home, name, stillWritten);
      const image = await this.packageFor(target, version, ctx);
      // On another machine's engine the log is a volume there, set aside with the image just made
      // (nor while another home's deployment runs on it: setAsideRemoteLog looks).
      if (!local)
        await setAsideRemoteLog(
          {
            docker: target.docker,
            image,
            volume: requestLogVolume(name),
            deployment: name,
            engine: engineName ?? 'default',
            signal: ctx.signal,
          },
          stillWritten,
        );
      for (let attempt = 0; ; attempt++) {
        const spec = this.spec({
          name,
          version,
          alias: p.alias ?? null,
          followAlias,
          image,
          bindHost,
          port,
          replicas,
          generation: 1,
          local,
          readyTimeoutSeconds: p.readyTimeoutSeconds,
        });
        let started: { container: string; startedAt: number };
        try {
          started = await runtime.deploy(spec, ctx);
        } catch (err) {
          // A port the user named is theirs to change; one picked here is picked again.
          if (p.port === undefined && attempt < 3 && isPortTaken(err)) {
            port = await this.engines.freePort(this.repo.portsOn(engineName), local, port + 1);
            this.repo.setPort(name, port);
            continue;
          }
          throw err;
        }
        const record = this.repo.update(
          name,
          { image },
          {
            kind: 'deployed',
            message: `Deployed ${version.name}@${version.version}${p.alias ? ` (alias ${p.alias})` : ''} at ${urlOf(urlHost, port)}${mode === 'swarm' ? ` as a Swarm service with ${replicas} replica(s)` : ''}.`,
          },
        );
        this.repo.release(name);
        const observed: Observed = {
          deployment: name,
          status: 'running',
          problem: null,
          container: started.container,
          version: version.version,
          startedAt: started.startedAt,
          lastLogLines: [],
          labels: {},
        };
        return {
          deployment: this.view({ ...record, busy: null }, observed),
          url: this.url(record),
          container: started.container,
        };
      }
    } catch (err) {
      this.repo.remove(name);
      throw err;
    }
  }

  async update(p: UpdateParams, ctx: OpContext): Promise<UpdateResult> {
    const what = `an update${p.version !== undefined ? ` to version ${p.version}` : p.alias ? ` to ${p.alias}` : ''}`;
    return this.holding(p.name, what, (r) => this.updateHeld(r, p, ctx));
  }

  private updateHeld(r: DeploymentRecord, p: UpdateParams, ctx: OpContext): Promise<UpdateResult> {
    // A version named moves off the alias; an alias named is followed (unless told not to);
    // neither: the alias it follows, else the same version in a fresh container.
    const alias = p.alias ?? (p.version !== undefined ? null : r.alias);
    const followAlias =
      alias !== null &&
      (p.followAlias ?? (p.alias !== undefined ? true : p.version === undefined && r.followAlias));
    const version =
      p.version !== undefined
        ? this.d.registry.resolve({ name: r.model, version: p.version })
        : alias !== null && (p.alias !== undefined || r.followAlias)
          ? this.d.registry.resolve({ name: r.model, alias })
          : this.d.registry.resolve({ name: r.model, version: r.version });
    return this.replaceWith(
      r,
      version,
      { alias, followAlias, readyTimeoutSeconds: p.readyTimeoutSeconds },
      ctx,
      'replaced',
    );
  }

  async restart(
    name: string,
    readyTimeoutSeconds: number | undefined,
    ctx: OpContext,
  ): Promise<UpdateResult> {
    return this.holding(name, 'a restart', (r) => {
      const version = this.d.registry.resolve({ name: r.model, version: r.version });
      return this.replaceWith(
        r,
        version,
        { alias: r.alias, followAlias: r.followAlias, readyTimeoutSeconds },
        ctx,
        'restarted',
      );
    });
  }

  async stop(name: string, ctx: OpContext): Promise<{ deployment: Deployment }> {
    return this.holding(name, 'a stop', async (r) => {
      await (await this.engines.runtimeFor(r)).stop(name, ctx);
      this.lastSample.delete(name);
      const record = this.repo.update(name, { desired: 'stopped' }, { kind: 'stopped', message: 'Stopped.' });
      return { deployment: await this.viewNow({ ...record, busy: null }) };
    });
  }

  /**
   * Removes what runs and the record. When the engine cannot be reached (down, or no longer
   * configured) it is refused, unless `force`: then only the record goes, and the history says
   * what may be left on that engine.
   */
  async remove(name: string, ctx: OpContext, opts: { force?: boolean } = {}): Promise<{ removed: boolean }> {
    if (!this.repo.find(name)) return { removed: false };
    return this.holding(name, 'a removal', async (r) => {
      try {
        await (await this.engines.runtimeFor(r)).remove(name, ctx);
      } catch (err) {
        if (!(err instanceof WorkbenchError) || err.code !== 'ENGINE_UNAVAILABLE') throw err;
        if (!opts.force)
          throw new WorkbenchError(
            'ENGINE_UNAVAILABLE',
            `${err.message} To forget "${name}" anyway, remove it with --force (in the app: Forget it); whatever it left on engine ${r.engine ?? 'default'} then stays there.`,
          );
      }
      this.lastSample.delete(name);
      return { removed: this.repo.remove(name) };
    });
  }

  /** Runs one change of a deployment while holding it (refused while another change holds it). */
  private async holding<T>(name: string, what: string, fn: (r: DeploymentRecord) => Promise<T>): Promise<T> {
    const r = this.repo.hold(name, what);
    try {
      return await fn(r);
    } finally {
      this.repo.release(name);
    }
  }

  /** After `alias` of `model` moved: replaces every deployment that follows it, one at a time. */
  async followAlias(model: string, alias: string, ctx: OpContext): Promise<FollowedAlias[]> {
    const out: FollowedAlias[] = [];
    for (const { name } of this.repo.following(model, alias)) {
      try {
        const res = await this.holding(name, `following ${alias}`, async (r) => {
          // Read again once held: it may have been stopped or moved meanwhile.
          const version = this.d.registry.resolve({ name: model, alias });
          if (r.desired === 'stopped' || !r.followAlias || r.alias !== alias || version.version === r.version)
            return undefined;
          return this.replaceWith(
            r,
            version,
            { alias, followAlias: true, readyTimeoutSeconds: undefined },
            ctx,
            'replaced',
          );
        });
        if (res) out.push({ deployment: name, outcome: res.outcome, reason: res.reason });
      } catch (err) {
        const reason = plainText((err as Error).message);
        out.push({ deployment: name, outcome: 'failed', reason });
        if (this.repo.find(name))
          this.repo.addEventFor(name, {
            kind: 'rolled-back',
            version: this.repo.get(name).version,
            message: `Could not follow ${alias}: ${reason}`,
          });
      }
    }
    return out;
  }

  // ---- the parts -----------------------------------------------------------------------------

  private async replaceWith(
    r: DeploymentRecord,
    version: ModelVersion,
    opts: { alias: string | null; followAlias: boolean; readyTimeoutSeconds: number | undefined },
    ctx: OpContext,
    kind: 'replaced' | 'restarted',
  ): Promise<UpdateResult> {
    const target = this.engines.target(r.engine);
    const runtime = await this.engines.runtimeFor(r);
    const image = await this.packageFor(target, version, ctx);
    const generation = this.repo.nextGeneration(r.name);
    const spec = this.spec({
      name: r.name,
      version,
      alias: opts.alias,
      followAlias: opts.followAlias,
      image,
      bindHost: r.bindHost,
      port: r.port,
      replicas: r.replicas,
      generation,
      local: isLocalEngine(target),
      readyTimeoutSeconds: opts.readyTimeoutSeconds,
    });
    const ref = `${version.name}@${version.version}`;
    // What the deployment serves once the new version took over.
    const serving = { version: version.version, image, alias: opts.alias, followAlias: opts.followAlias };
    const done = async (
      record: DeploymentRecord,
      outcome: UpdateResult['outcome'],
      reason: string | null,
    ) => ({
      deployment: await this.viewNow(record),
      outcome,
      reason,
    });
    // Its containers are gone from the engine (removed by hand, a pruned engine): made again, on
    // the same port, as a restart promises. A stopped one is started with the version.
    const seen = (await runtime.observe(this.homeId)).get(r.name);
    const gone = seen === undefined;
    // Whether the old version was answering: a dead one that a failed restart leaves is still down.
    const wasServing = seen?.status === 'running' || seen?.status === 'replacing';
    if (gone || r.desired === 'stopped') {
      await (gone ? runtime.deploy(spec, ctx) : runtime.start(spec, ctx));
      const message = gone
        ? `Its containers were gone from the engine: deployed ${ref} again at ${this.url(r)}.`
        : `Started with ${ref}.`;
      const record = this.repo.update(
        r.name,
        { ...serving, desired: 'running' },
        { kind: 'started', version: version.version, message },
      );
      return done(record, 'replaced', null);
    }
    const replaced = await runtime.replace(spec, ctx);
    this.lastSample.delete(r.name);
    const at = Date.now();
    if (replaced.outcome === 'replaced') {
      const record = this.repo.update(
        r.name,
        {
          ...serving,
          lastReplacement: { at, from: r.version, to: version.version, outcome: 'replaced', reason: null },
        },
        {
          kind,
          version: version.version,
          message:
            kind === 'restarted'
              ? `Restarted ${ref} in a fresh container, health-gated.`
              : `Replaced ${r.model}@${r.version} by ${ref}: it became ready, then traffic moved to it.`,
        },
      );
      return done(record, 'replaced', null);
    }
    const reason = plainText(replaced.reason);
    const record = this.repo.update(
      r.name,
      { lastReplacement: { at, from: r.version, to: version.version, outcome: 'rolled-back', reason } },
      {
        kind: 'rolled-back',
        version: version.version,
        message: wasServing
          ? `${ref} did not become ready, so ${r.model}@${r.version} kept serving: ${reason}`
          : `${ref} did not become ready, and nothing serves (the deployment was ${seen?.status ?? 'down'} already): ${reason}`,
      },
    );
    return done(record, 'rolled-back', reason);
  }

  private async packageFor(target: EngineTarget, version: ModelVersion, ctx: OpContext): Promise<string> {
    const packaged = await packageModel(
      { docker: target.docker, objects: this.d.objects, tmpDir: path.join(this.d.home, 'tmp') },
      version,
      {},
      ctx,
    );
    return packaged.image;
  }

  private spec(o: Omit<SpecParams, 'home' | 'homeId'>): RuntimeSpec {
    return runtimeSpec({ ...o, home: this.d.home, homeId: this.homeId });
  }

  /** What runs on an engine for this home; when it does not answer, why. */
  private async observeEngine(
    engine: string | null,
    records: DeploymentRecord[],
  ): Promise<Map<string, Observed> | Unreachable> {
    let target: EngineTarget;
    try {
      target = this.engines.target(engine);
    } catch (err) {
      return { unreachable: (err as Error).message };
    }
    try {
      const runtimes = await this.engines.runtimes(target);
      const onEngine = records.filter((r) => r.engine === engine);
      const swarm =
        onEngine.some((r) => r.mode === 'swarm') || (engine === null && (await runtimes.isSwarmManager()));
      const [containers, services] = await Promise.all([
        runtimes.container.observe(this.homeId),
        swarm ? runtimes.swarm.observe(this.homeId) : Promise.resolve(new Map<string, Observed>()),
      ]);
      return new Map([...containers, ...services]);
    } catch (err) {
      const reason = err instanceof WorkbenchError ? err.message : (err as Error).message;
      return {
        unreachable: `The engine${engine ? ` ${engine}` : ''} does not answer: ${reason} ${target.hint()}`,
      };
    }
  }

  /** A record for a deployment found on an engine by its labels. */
  private adopt(engine: string | null, o: Observed): DeploymentRecord | undefined {
    let urlHost = '127.0.0.1';
    try {
      const target = this.engines.target(engine);
      if (!isLocalEngine(target)) urlHost = engineHostname(target);
    } catch {
      // The engine answered a moment ago; keep the loopback address.
    }
    const record = recordFromLabels(engine, o, urlHost);
    if (!record) return undefined;
    try {
      return this.repo.create(record, {
        kind: 'found',
        message: 'Found on the engine by its labels and recorded again.',
      });
    } catch {
      return undefined;
    }
  }

  private view(r: DeploymentRecord, o: Seen | undefined): Deployment {
    let aliasVersion: number | null = null;
    if (r.alias) {
      try {
        aliasVersion = this.d.registry.resolve({ name: r.model, alias: r.alias }).version;
      } catch {
        // The alias was removed: nothing to follow.
      }
    }
    return deploymentView(r, o, aliasVersion);
  }

  /** The deployment as it is now, at the end of a change this process holds it for. */
  private async viewNow(r: DeploymentRecord): Promise<Deployment> {
    return this.view({ ...r, busy: null }, pick(await this.observeEngine(r.engine, [r]), r.name));
  }

  private url(r: DeploymentRecord): string {
    return urlOf(r.urlHost, r.port);
  }
}

function isPortTaken(err: unknown): boolean {
  return err instanceof WorkbenchError && err.code === 'CONFLICT' && /port/i.test(err.message);
}
