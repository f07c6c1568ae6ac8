/**
 * The method table: one handler per contract method, and `invoke`, the single entry point every
 * transport (IPC, HTTP, CLI) goes through. Params are parsed against the contract on the way in and
 * results on the way out; long methods start an operation and return its id at once. Once a
 * command has succeeded (a long one when its operation does), the entities its contract entry
 * declares it writes are announced as a `changed` event: handlers never announce them by hand.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import {
  entitiesWritten,
  type MethodName,
  type Methods,
  methods,
  type ResultOf,
} from '../../shared/contract.ts';
import { engineStatus } from './docker/engine.ts';
import { cancelled, conflict, invalidInput, notFound, WorkbenchError } from './errors.ts';
import { collectGarbage, verifyObjects } from './objects/storeMaintenance.ts';
import type { OpContext } from './ops/operations.ts';
import { packageModel } from './serving/modelImage.ts';
import { schemaVersion } from './store/database.ts';
import { loadRecipe } from './training/recipeLoader.ts';
import { theUploadedFile, uploadDir } from './uploads.ts';
import type { Workbench } from './workbench.ts';

type Params<M extends MethodName> = z.infer<Methods[M]['params']>;
type Handler<M extends MethodName> = (
  params: Params<M>,
  ctx: OpContext,
) => Promise<ResultOf<M>> | ResultOf<M>;
export type Handlers = { [M in MethodName]: Handler<M> };

export function createHandlers(wb: Workbench): Handlers {
  return {
    'app.info': () => ({
      home: wb.home,
      database: wb.dbPath,
      appVersion: packageJson.version,
      schemaVersion: schemaVersion(wb.db),
      mode: wb.mode,
    }),
    'engine.status': (p) => engineStatus(wb.engines.target(p.name)),
    'engines.list': () => wb.engines.list(),
    'engines.add': async (p) => {
      wb.engines.add(p);
      // Added even when it does not answer yet (a machine being set up); the status says so.
      return { status: await engineStatus(wb.engines.target(p.name)) };
    },
    'engines.remove': (p) => {
      const using = wb.deployments.repo.list().filter((d) => d.engine === p.name);
      if (using.length)
        throw conflict(
          `The engine ${p.name} runs deployment${using.length > 1 ? 's' : ''} ${using.map((d) => d.name).join(', ')}. Remove ${using.length > 1 ? 'them' : 'it'} first (\`mlwb deployments remove NAME\`), so nothing is left running there unseen.`,
        );
      return { removed: wb.engines.remove(p.name) };
    },

    'datasets.list': () => wb.datasets.list(),
    'datasets.versions': (p) => wb.datasets.versions(p.name),
    'datasets.show': (p) => wb.datasets.show(p.name, p.version),
    'datasets.add': async (p, ctx) => {
      if (!p.upload) {
        return wb.datasets.add({ name: p.name, paths: p.paths, message: p.message }, ctx);
      }
      const staged = uploadDir(wb.home, p.upload);
      if (!(await fs.stat(staged).catch(() => undefined))) {
        throw notFound(
          'That upload session has no files (it may have been used already). Drop the files again.',
        );
      }
      try {
        return await wb.datasets.add(
          { name: p.name, paths: [staged], message: p.message, useStatCache: false },
          ctx,
        );
      } catch (err) {
        // The staging folder is an implementation detail; say it in the user's terms.
        if (err instanceof WorkbenchError && err.code === 'INVALID_INPUT' && /empty/.test(err.message)) {
          throw invalidInput('Nothing to add: the dropped folders hold no files.');
        }
        throw err;
      } finally {
        await fs.rm(staged, { recursive: true, force: true });
      }
    },
    'datasets.profile': (p, ctx) => wb.datasets.profile(p.name, p.version, ctx.signal),
    'datasets.rows': (p, ctx) => wb.datasets.rows(p, ctx.signal),
    'datasets.diff': (p, ctx) => wb.datasets.diff(p.name, p.from, p.to, p.key, ctx.signal),
    'datasets.export': (p, ctx) => wb.datasets.export(p.name, p.version, p.dir, ctx, { links: p.links }),

    'drift.check': (p, ctx) => wb.drift.check(p, ctx),
    'drift.reports': (p) => wb.drift.repo.list(p.dataset),
    'drift.report': (p) => wb.drift.repo.get(p.id),
    'drift.compare': (p) => wb.drift.compare(p.a, p.b),
    'drift.presets': () => wb.drift.repo.presets(),
    'drift.presets.save': (p) => wb.drift.repo.savePreset(p.name, p.options),
    'drift.presets.delete': (p) => ({ deleted: wb.drift.repo.deletePreset(p.name) }),

    'recipes.inspect': (p) => loadRecipe(p.path),
    'experiments.list': () => wb.tracking.experiments(),
    'runs.start': async (p) => ({ runs: await wb.runs.start(p) }),
    'runs.handOver': (p) => ({ runs: wb.runs.handOver(p.ids, p.pid) }),
    'runs.wait': async (p, ctx) => {
      await wb.runs.waitFor(p.ids, {
        adopt: p.adopt,
        parallel: p.parallel,
        signal: ctx.signal,
        progress: ctx.progress,
      });
      return { runs: p.ids.map((id) => wb.tracking.run(id)) };
    },
    'runs.reconcile': async () => {
      await wb.runs.resume({ onlyFinished: true });
      return {};
    },
    'runs.search': (p) => wb.tracking.search(p),
    'runs.get': (p) => ({ run: wb.tracking.run(p.id), detail: wb.runs.detail(p.id) }),
    'runs.logs': (p) => wb.runs.logs(p.id, p.tail),
    'runs.readLog': (p) => {
      const { status } = wb.tracking.runRow(p.id);
      return { ...wb.runs.readLog(p.id, p.from), status };
    },
    'runs.metricHistory': (p) => wb.tracking.metricHistory(p.id, p.key),
    'runs.getMany': (p) => {
      const runs = wb.tracking.runsOf(p.ids);
      const found = new Set(runs.map((r) => r.id));
      return { runs, missing: [...new Set(p.ids)].filter((id) => !found.has(id)) };
    },
    'runs.metricSeries': (p) => ({
      series: p.ids.flatMap((id) => p.keys.map((key) => wb.tracking.metricSeries(id, key, p))),
    }),
    'runs.cancel': (p) => wb.runs.cancel(p.id),
    'runs.rerun': (p) => ({ run: wb.runs.rerun(p.id, { params: p.params, detach: p.detach }) }),
    'runs.saveArtifact': async (p) => ({ saved: await wb.runs.saveArtifact(p.id, p.path, p.dir) }),
    'runs.setTag': (p) => {
      wb.tracking.runRow(p.id);
      wb.tracking.setTag(p.id, p.key, p.value);
      return {};
    },
    'runs.deleteTag': (p) => {
      wb.tracking.deleteTag(p.id, p.key);
      return {};
    },

    'models.list': () => wb.registry.repo.list(),
    'models.get': (p) => ({ ...wb.registry.get(p.name), evaluations: wb.evaluations.stored(p.name) }),
    'models.version': (p) => {
      const version = wb.registry.resolve(p);
      return { version, evaluations: wb.evaluations.stored(version.name, version.version) };
    },
    'models.register': (p) => wb.registry.register(p),
    'models.setAlias': async (p, ctx) => {
      const moved = await wb.registry.setAlias(p, (candidate) =>
        wb.evaluations.checkGate(p.name, p.alias, candidate, ctx),
      );
      // Deployments that follow the alias are replaced, health-gated, within the same operation.
      const followed = moved.moved ? await wb.deployments.followAlias(p.name, p.alias, ctx) : [];
      return { ...moved, followed };
    },
    'models.removeAlias': (p) => ({ removed: wb.registry.removeAlias(p.name, p.alias, p.reason) }),
    'models.setGate': (p) => wb.evaluations.setGate(p),
    'models.removeGate': (p) => ({ removed: wb.registry.removeGate(p.name, p.alias) }),
    'models.evaluate': (p, ctx) => wb.evaluations.evaluate(p, ctx),
    'models.update': (p) => {
      wb.registry.update(p);
      return {};
    },
    'models.setTag': (p) => {
      wb.registry.setTag(p);
      return {};
    },
    'models.deleteTag': (p) => ({ deleted: wb.registry.deleteTag(p) }),
    'models.deleteVersion': (p) => {
      wb.registry.deleteVersion(p.name, p.version);
      return {};
    },
    'models.package': (p, ctx) => {
      const version = wb.registry.resolve(p);
      const target = wb.engines.target(p.engine);
      if (target.problem) throw new WorkbenchError('ENGINE_UNAVAILABLE', target.problem);
      return packageModel(
        { docker: target.docker, objects: wb.objects, tmpDir: path.join(wb.home, 'tmp') },
        version,
        { tag: p.tag },
        ctx,
      );
    },
    'deployments.list': () => wb.deployments.list(),
    'deployments.get': (p) => wb.deployments.get(p.name),
    'deployments.create': (p, ctx) => wb.deployments.create(p, ctx),
    'deployments.update': (p, ctx) => wb.deployments.update(p, ctx),
    'deployments.restart': (p, ctx) => wb.deployments.restart(p.name, p.readyTimeoutSeconds, ctx),
    'deployments.stop': (p, ctx) => wb.deployments.stop(p.name, ctx),
    'deployments.remove': (p, ctx) => wb.deployments.remove(p.name, ctx, { force: p.force ?? false }),
    'deployments.logs': (p) => wb.deployments.logs(p.name, p.tail),
    'deployments.metrics': (p) => wb.deployments.metrics(p.name),
    'deployments.invoke': (p) => wb.deployments.invoke(p.name, p.path, p.body),
    'deployments.requests': async (p) => ({ requests: await wb.monitoring.requests(p.name, p.limit) }),

    'monitors.list': () => ({ monitors: wb.monitoring.list() }),
    'monitors.get': (p) => wb.monitoring.get(p.name),
    'monitors.add': (p) => ({ monitor: wb.monitoring.add(p) }),
    'monitors.update': (p) =>
      wb.monitoring.update(p, (m, kept, had) => wb.policies.assertTriggersKept(m, kept, had)),
    'monitors.remove': (p) => wb.monitoring.remove(p.name),
    'monitors.run': (p, ctx) => wb.monitoring.run(p.name, ctx),
    'alerts.list': (p) => ({ alerts: wb.monitoring.alerts(p) }),
    'labels.add': async (p) => {
      if (p.path !== undefined) return wb.monitoring.addLabels(p.deployment, p.path);
      const staged = uploadDir(wb.home, p.upload!);
      try {
        const file = await theUploadedFile(staged, 'a labels file');
        return await wb.monitoring.addLabels(p.deployment, file, path.basename(file));
      } finally {
        await fs.rm(staged, { recursive: true, force: true });
      }
    },

    'policies.list': () => ({ policies: wb.policies.list() }),
    'policies.get': (p) => wb.policies.get(p.name),
    'policies.add': (p) => ({ policy: wb.policies.add(p) }),
    'policies.update': (p) => ({ policy: wb.policies.update(p) }),
    'policies.remove': (p) => wb.policies.remove(p.name),
    'policies.run': (p, ctx) => wb.policies.run(p.name, p.ifTriggered, ctx),

    'datasets.usedBy': (p) => ({
      runs: wb.tracking.runsReading(p.name, p.version),
      models: wb.registry.repo.versionsTrainedOn(p.name, p.version),
    }),

    'filters.list': (p) => wb.filters.list(p.scope),
    'filters.save': (p) => wb.filters.save(p.scope, p.name, p.filter),
    'filters.remove': (p) => ({ removed: wb.filters.remove(p.scope, p.name) }),

    'store.verify': (_p, ctx) => verifyObjects(wb.db, wb.objects, ctx),
    'store.gc': () => collectGarbage(wb.db, wb.objects),

    'ops.get': (p) => {
      const info = wb.ops.get(p.op);
      if (!info)
        throw notFound(`No operation ${p.op} (finished operations are kept for a while, then forgotten).`);
      return info;
    },
    'ops.list': () => wb.ops.list(),
    'ops.cancel': (p) => ({ cancelled: wb.ops.cancel(p.op) }),
  };
}

export interface Api {
  /** Validates, runs, validates the result. Long methods resolve with `{ op }` at once. */
  invoke(name: string, params: unknown, opts?: { signal?: AbortSignal }): Promise<unknown>;
  /** For in-process callers (CLI, tests): runs a method and, when long, waits for its result. */
  call<M extends MethodName>(
    name: M,
    params: z.input<Methods[M]['params']>,
    opts?: { onProgress?: OpContext['progress']; signal?: AbortSignal },
  ): Promise<ResultOf<M>>;
}

export function createApi(wb: Workbench): Api {
  const api = makeApi(wb);
  // Continuous training's pipeline steps go through the API, as a user's would.
  wb.policies.attachApi(api);
  return api;
}

function makeApi(wb: Workbench): Api {
  const handlers = createHandlers(wb) as Record<MethodName, Handler<MethodName>>;
  const lookup = (name: string) => {
    if (!Object.hasOwn(methods, name)) throw notFound(`No method named ${name}.`);
    return { m: methods[name as MethodName], h: handlers[name as MethodName] };
  };
  const noProgress = () => {};
  const parseParams = (name: string, schema: z.ZodType, raw: unknown) => {
    const parsed = schema.safeParse(raw ?? {});
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map(
      (i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`,
    );
    throw invalidInput(`Invalid parameters for ${name}: ${issues.join('; ')}`, {
      issues: parsed.error.issues,
    });
  };
  /** Runs the handler, checks its result and announces what it wrote: only once it succeeded. */
  const run = async (name: MethodName, params: unknown, ctx: OpContext) => {
    const { m, h } = lookup(name);
    const result = m.result.parse(await h(params as never, ctx));
    wb.events.changed(...entitiesWritten(name, params, result));
    return result;
  };

  return {
    async invoke(name, raw, opts = {}) {
      const { m } = lookup(name);
      const method = name as MethodName;
      const params = parseParams(name, m.params, raw);
      if (m.long) {
        const { op, done } = wb.ops.start(name, (ctx) => run(method, params, ctx));
        done.catch(() => {}); // reported through op.finished
        return { op };
      }
      const signal = opts.signal ?? new AbortController().signal;
      return run(method, params, { signal, progress: noProgress });
    },

    async call(name, raw, opts = {}) {
      // A caller cancelled already (a pipeline between steps) starts nothing.
      if (opts.signal?.aborted) throw cancelled();
      const { m } = lookup(name);
      const params = parseParams(name, m.params, raw);
      if (!m.long) {
        const signal = opts.signal ?? new AbortController().signal;
        return (await run(name, params, { signal, progress: opts.onProgress ?? noProgress })) as never;
      }
      const { op, done } = wb.ops.start(name, (ctx) =>
        run(name, params, {
          signal: ctx.signal,
          progress: (p) => {
            ctx.progress(p);
            opts.onProgress?.(p);
          },
        }),
      );
      opts.signal?.addEventListener('abort', () => wb.ops.cancel(op));
      return (await done) as never;
    },
  };
}
