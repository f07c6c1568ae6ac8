/**
 * The one contract between renderer, server, CLI and core: every method's name, params and result
 * (zod), and every event topic. The IPC bridge, the HTTP/WebSocket server and the CLI are adapters
 * over this table; nothing crosses a process boundary without being parsed against it.
 *
 * A method marked `long` returns `{ op }` at once; its `result` schema describes what the
 * operation finishes with (see `op.finished`), and it reports progress events meanwhile.
 *
 * Every method says what it does to the workbench's state, with the builders of entities.ts: a
 * query declares what it `reads` (so the renderer refetches it when one of those changes), a
 * command what it `writes` (so core announces them in `changed` once it has succeeded). Both are
 * functions of the params, and `writes` of the result too (a removal that found nothing changed
 * nothing). Long methods are commands.
 */
import * as z from 'zod';
import {
  AddResult,
  DatasetName,
  DatasetSummary,
  DiffResult,
  ExportResult,
  GcResult,
  ProfileResult,
  TableRows,
  VerifyResult,
  VersionDetail,
  VersionSummary,
} from './datasets.ts';
import {
  Deployment,
  DeploymentDetail,
  DeploymentLogs,
  DeploymentMetrics,
  DeploymentName,
  DeployParams,
  DeployResult,
  FollowedAlias,
  InvokeParams,
  InvokeResult,
  UpdateParams,
  UpdateResult,
} from './deployments.ts';
import {
  DriftCheckParams,
  DriftComparison,
  DriftOptionsPatch,
  DriftPreset,
  DriftReportRecord,
  DriftReportSummary,
  PresetName,
} from './drift.ts';
import { type Entity, entities as e, nothing } from './entities.ts';
import { WireError } from './errors.ts';
import { method, type Reads, type Writes } from './method.ts';
import {
  AliasMove,
  EvaluateParams,
  EvaluationRecord,
  Gate,
  ModelName,
  ModelRefParams,
  ModelSummary,
  ModelVersion,
  REGISTRY_LIMITS,
  RegisterParams,
  RegisterResult,
  SetAliasParams,
  SetAliasResult,
  SetGateParams,
  VersionNumber,
} from './registry.ts';
import { FilterName, FilterScope, RunSummary, SavedFilter } from './tracking.ts';
import { EngineConfig, EngineFields, EngineName, Recipe } from './training.ts';

export const OpId = z.string().min(1);
export const OpStarted = z.object({ op: OpId });

const VersionRef = z.object({ name: DatasetName, version: z.number().int().positive().optional() });

export const EngineStatus = z.object({
  reachable: z.boolean(),
  host: z.string(),
  version: z.string().optional(),
  apiVersion: z.string().optional(),
  os: z.string().optional(),
  error: z.string().optional(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const AppInfo = z.object({
  home: z.string(),
  database: z.string(),
  appVersion: z.string(),
  schemaVersion: z.number().int(),
  mode: z.enum(['electron', 'browser', 'cli']),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const OpState = z.enum(['running', 'succeeded', 'failed', 'cancelled']);
export const OpInfo = z.object({
  op: OpId,
  kind: z.string(),
  state: OpState,
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  progress: z
    .object({
      phase: z.string(),
      done: z.number(),
      total: z.number().nullable(),
      message: z.string().optional(),
    })
    .nullable(),
  result: z.unknown().optional(),
  error: WireError.optional(),
});
export type OpInfo = z.infer<typeof OpInfo>;

import { Alert } from './monitoring.ts';
import { monitorMethods } from './monitorMethods.ts';
import { policyMethods } from './policyMethods.ts';
import { runMethods } from './runMethods.ts';

export type { Reads, Writes } from './method.ts';

/** A dataset read as its latest version changes with the dataset; a numbered one never changes. */
const latestOf = (p: { name: string; version?: number | undefined }) =>
  p.version === undefined ? [e.dataset(p.name)] : [];

/** A change to a model: the models list and the model's own page. */
const modelWrites = (p: { name: string }) => [e.models, e.model(p.name)];

export const methods = {
  'app.info': method(z.object({}), AppInfo, { reads: nothing }),
  // A named engine's status changes with its settings: re-added under the same name, it is asked
  // again. A removal announces only the list, so a status still shown while its row goes is not
  // asked for an engine that no longer exists.
  'engine.status': method(z.object({ name: z.string().optional() }), EngineStatus, {
    reads: (p) => (p.name ? [e.engine(p.name)] : []),
  }),
  'engines.list': method(
    z.object({}),
    z.array(EngineFields.omit({ name: true }).extend({ name: z.string(), isDefault: z.boolean() })),
    { reads: () => [e.engines] },
  ),
  // Written even when the engine does not answer yet (a machine being set up).
  'engines.add': method(EngineConfig, z.object({ status: EngineStatus }), {
    writes: (p) => [e.engines, e.engine(p.name)],
  }),
  'engines.remove': method(z.object({ name: EngineName }), z.object({ removed: z.boolean() }), {
    writes: (_p, r) => (r.removed ? [e.engines] : []),
  }),

  'datasets.list': method(z.object({}), z.array(DatasetSummary), { reads: () => [e.datasets] }),
  'datasets.versions': method(z.object({ name: DatasetName }), z.array(VersionSummary), {
    reads: (p) => [e.dataset(p.name)],
  }),
  'datasets.show': method(VersionRef, VersionDetail, { reads: latestOf }),
  'datasets.add': method(
    z.object({
      name: DatasetName,
      /** Files and folders on the machine that runs core. */
      paths: z.array(z.string().min(1)).default([]),
      /** A browser-mode upload session whose staged files are the content (see server uploads). */
      upload: z.string().optional(),
      message: z.string().max(10_000).default(''),
    }),
    AddResult,
    // Content equal to the latest version makes no new version: nothing changed.
    { long: true, writes: (p, r) => (r.created ? [e.datasets, e.dataset(p.name)] : []) },
  ),
  'datasets.profile': method(VersionRef, ProfileResult, { reads: latestOf }),
  /** Rows of one table of a version (its first table unless `path` names one). */
  'datasets.rows': method(
    VersionRef.extend({
      path: z.string().min(1).optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(20),
    }),
    TableRows,
    { reads: latestOf },
  ),
  'datasets.diff': method(
    z.object({
      name: DatasetName,
      from: z.number().int().positive(),
      to: z.number().int().positive(),
      key: z.string().min(1).optional(),
    }),
    DiffResult,
    // Two numbered versions: immutable.
    { reads: nothing },
  ),
  'datasets.export': method(
    // links: read-only hard links to the stored files instead of copies (see exporter.ts).
    VersionRef.extend({ dir: z.string().min(1), links: z.boolean().default(false) }),
    ExportResult,
    // Writes a folder of the user's, nothing the workbench shows.
    { long: true, writes: nothing },
  ),

  'drift.check': method(DriftCheckParams, DriftReportRecord, {
    long: true,
    writes: (p) => (p.save ? [e.driftReports] : []),
  }),
  'drift.reports': method(z.object({ dataset: z.string().optional() }), z.array(DriftReportSummary), {
    reads: () => [e.driftReports],
  }),
  // A stored report never changes, nor does a comparison of two.
  'drift.report': method(z.object({ id: z.string().min(1) }), DriftReportRecord, { reads: nothing }),
  'drift.compare': method(z.object({ a: z.string().min(1), b: z.string().min(1) }), DriftComparison, {
    reads: nothing,
  }),
  'drift.presets': method(z.object({}), z.array(DriftPreset), { reads: () => [e.driftPresets] }),
  'drift.presets.save': method(z.object({ name: PresetName, options: DriftOptionsPatch }), DriftPreset, {
    writes: () => [e.driftPresets],
  }),
  'drift.presets.delete': method(z.object({ name: PresetName }), z.object({ deleted: z.boolean() }), {
    writes: (_p, r) => (r.deleted ? [e.driftPresets] : []),
  }),

  'recipes.inspect': method(
    z.object({ path: z.string().min(1) }),
    z.object({ dir: z.string(), recipe: Recipe }),
    // A folder on disk, not in the store: read again whenever it is asked for.
    { reads: nothing },
  ),
  ...runMethods,
  ...monitorMethods,
  ...policyMethods,

  'models.list': method(z.object({}), z.array(ModelSummary), { reads: () => [e.models] }),
  'models.get': method(
    z.object({ name: ModelName }),
    z.object({
      model: ModelSummary,
      versions: z.array(ModelVersion),
      history: z.array(AliasMove),
      gates: z.array(Gate),
      /** Every stored evaluation of every version, newest first: versions side by side. */
      evaluations: z.array(EvaluationRecord),
    }),
    { reads: (p) => [e.model(p.name)] },
  ),
  /** One version, by number or alias (the latest when neither is given), with its evaluations. */
  'models.version': method(
    ModelRefParams,
    z.object({ version: ModelVersion, evaluations: z.array(EvaluationRecord) }),
    { reads: (p) => [e.model(p.name)] },
  ),
  'models.register': method(RegisterParams, RegisterResult, { writes: (p) => [e.models, e.model(p.name)] }),
  /** Refused by a gate: `moved` false and the gate's outcome (the CLI exits 3). */
  // Long: moving a guarded alias may evaluate the candidate and the champion.
  /**
   * Moves an alias (through its gate), then replaces, health-gated, every deployment that follows
   * the alias (`followed`).
   */
  'models.setAlias': method(SetAliasParams, SetAliasResult.extend({ followed: z.array(FollowedAlias) }), {
    long: true,
    writes: (p, r) => [
      ...modelWrites(p),
      ...(r.followed.length ? [e.deployments, ...r.followed.map((f) => e.deployment(f.deployment))] : []),
    ],
  }),
  'models.removeAlias': method(
    z.object({ name: ModelName, alias: z.string().min(1), reason: z.string().max(2000).optional() }),
    z.object({ removed: z.boolean() }),
    { writes: (p, r) => (r.removed ? modelWrites(p) : []) },
  ),
  'models.setGate': method(SetGateParams, Gate, { writes: modelWrites }),
  'models.removeGate': method(
    z.object({ name: ModelName, alias: z.string().min(1) }),
    z.object({ removed: z.boolean() }),
    { writes: (p, r) => (r.removed ? modelWrites(p) : []) },
  ),
  'models.evaluate': method(EvaluateParams, EvaluationRecord, { long: true, writes: modelWrites }),
  'models.update': method(
    z.object({
      name: ModelName,
      version: VersionNumber.optional(),
      description: z.string().max(REGISTRY_LIMITS.descriptionLength).optional(),
    }),
    z.object({}),
    { writes: modelWrites },
  ),
  'models.setTag': method(
    z.object({
      name: ModelName,
      version: VersionNumber.optional(),
      key: z.string().min(1).max(REGISTRY_LIMITS.tagKeyLength),
      value: z.string().max(REGISTRY_LIMITS.tagValueLength),
    }),
    z.object({}),
    { writes: modelWrites },
  ),
  'models.deleteTag': method(
    z.object({ name: ModelName, version: VersionNumber.optional(), key: z.string().min(1) }),
    z.object({ deleted: z.boolean() }),
    { writes: (p, r) => (r.deleted ? modelWrites(p) : []) },
  ),
  'models.deleteVersion': method(z.object({ name: ModelName, version: VersionNumber }), z.object({}), {
    writes: modelWrites,
  }),
  /**
   * Builds the version's model image on an engine (the default one unless named), or finds the
   * one already built from the same parts (`reused`). Progress is by build step.
   */
  'models.package': method(
    ModelRefParams.extend({
      /** A further name for the image, `repo[:tag]`. */
      tag: z.string().min(1).max(255).optional(),
      engine: z.string().min(1).optional(),
    }),
    z.object({ image: z.string(), imageId: z.string(), sizeBytes: z.number(), reused: z.boolean() }),
    // Images live on the engine; nothing the workbench shows changes (yet).
    { long: true, writes: nothing },
  ),
  /** Every deployment of this workbench, with its status as the engines show it now. */
  'deployments.list': method(z.object({}), z.array(Deployment), { reads: () => [e.deployments] }),
  'deployments.get': method(z.object({ name: DeploymentName }), DeploymentDetail, {
    reads: (p) => [e.deployment(p.name)],
  }),
  /**
   * Packages the version when needed, starts it on the engine (127.0.0.1, or the engine's host),
   * waits until it is ready and records the deployment. A Swarm manager gets a service.
   */
  'deployments.create': method(DeployParams, DeployResult, {
    long: true,
    writes: (_p, r) => [e.deployments, e.deployment(r.deployment.name)],
  }),
  /**
   * Replaces the serving version, health-gated: the new one must become ready before traffic moves
   * to it; when it does not, the old one keeps serving (`rolled-back`, with the reason).
   */
  'deployments.update': method(UpdateParams, UpdateResult, {
    long: true,
    writes: (p) => [e.deployments, e.deployment(p.name)],
  }),
  /** Starts a stopped deployment, or replaces a running one by a fresh container of its version. */
  'deployments.restart': method(
    z.object({ name: DeploymentName, readyTimeoutSeconds: z.number().int().min(1).max(600).optional() }),
    UpdateResult,
    { long: true, writes: (p) => [e.deployments, e.deployment(p.name)] },
  ),
  /** Stops serving (requests in flight finish); the deployment stays, to be restarted. */
  'deployments.stop': method(z.object({ name: DeploymentName }), z.object({ deployment: Deployment }), {
    long: true,
    writes: (p) => [e.deployments, e.deployment(p.name)],
  }),
  /**
   * Stops and removes the containers (or service) and forgets the deployment; its request logs
   * stay. `force`: forgets it even when its engine cannot be reached (whatever it left there stays,
   * unseen).
   */
  'deployments.remove': method(
    z.object({ name: DeploymentName, force: z.boolean().optional() }),
    z.object({ removed: z.boolean() }),
    {
      long: true,
      writes: (p, r) => (r.removed ? [e.deployments, e.deployment(p.name)] : []),
    },
  ),
  /** The serving container's log (the last `tail` lines). */
  'deployments.logs': method(
    z.object({ name: DeploymentName, tail: z.number().int().min(1).max(10_000).optional() }),
    DeploymentLogs,
    { reads: nothing },
  ),
  /** Live figures from the server's /metrics; polled, so it reads nothing that changes. */
  'deployments.metrics': method(z.object({ name: DeploymentName }), DeploymentMetrics, { reads: nothing }),
  /** Sends one request to the deployment (the try-it form) and returns its answer as is. */
  'deployments.invoke': method(InvokeParams, InvokeResult, { writes: nothing }),

  /** What was trained on a dataset version: its runs and the model versions made from them. */
  'datasets.usedBy': method(
    z.object({ name: DatasetName, version: z.number().int().positive() }),
    z.object({ runs: z.array(RunSummary), models: z.array(ModelVersion) }),
    { reads: () => [e.runs, e.models] },
  ),

  'filters.list': method(z.object({ scope: FilterScope }), z.array(SavedFilter), {
    reads: (p) => [e.savedFilters(p.scope)],
  }),
  /** Saving under a name already used replaces that filter; the filter must parse. */
  'filters.save': method(
    z.object({
      scope: FilterScope,
      name: FilterName,
      filter: z
        .string()
        .trim()
        .min(1, 'Nothing to save: the filter is empty. Type a filter, apply it, then save it.')
        .max(10_000, 'A saved filter has at most 10,000 characters.'),
    }),
    SavedFilter.extend({ replaced: z.boolean() }),
    { writes: (p) => [e.savedFilters(p.scope)] },
  ),
  'filters.remove': method(
    z.object({ scope: FilterScope, name: z.string().min(1) }),
    z.object({ removed: z.boolean() }),
    { writes: (p, r) => (r.removed ? [e.savedFilters(p.scope)] : []) },
  ),

  'store.verify': method(z.object({}), VerifyResult, { long: true, writes: nothing }),
  // Removes only blobs nothing refers to: nothing the workbench shows changes.
  'store.gc': method(z.object({}), GcResult, { writes: nothing }),

  // Operations are followed through `progress` and `op.finished` events, not `changed`.
  'ops.get': method(z.object({ op: OpId }), OpInfo, { reads: nothing }),
  'ops.list': method(z.object({}), z.array(OpInfo), { reads: nothing }),
  'ops.cancel': method(z.object({ op: OpId }), z.object({ cancelled: z.boolean() }), { writes: nothing }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = z.infer<Methods[M]['result']>;
/** What invoking a method returns over the wire: the op handle for long methods. */
export type ReplyOf<M extends MethodName> = Methods[M]['long'] extends true
  ? z.infer<typeof OpStarted>
  : ResultOf<M>;

export const methodNames = Object.keys(methods) as MethodName[];
export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

/**
 * What a query on `name` with `params` reads; nothing for commands, immutable reads and names
 * that are not methods. `params` may be any value (a cache key): only what it holds is read.
 */
export function entitiesRead(name: string, params: unknown): readonly Entity[] {
  if (!isMethodName(name)) return [];
  const reads = methods[name].reads as Reads<unknown> | undefined;
  return reads ? reads(typeof params === 'object' && params !== null ? params : {}) : [];
}

/** What a command on `name` changed, once it has succeeded with `result`. */
export function entitiesWritten(name: MethodName, params: unknown, result: unknown): readonly Entity[] {
  const writes = methods[name].writes as Writes<unknown, unknown> | undefined;
  return writes ? writes(params, result) : [];
}

export const events = {
  progress: z.object({
    op: OpId,
    kind: z.string(),
    phase: z.string(),
    done: z.number(),
    total: z.number().nullable(),
    message: z.string().optional(),
  }),
  'op.finished': z.object({
    op: OpId,
    kind: z.string(),
    state: OpState,
    result: z.unknown().optional(),
    error: WireError.optional(),
  }),
  /** Live log lines of a run, batched; `dropped` lines of a flood were kept on disk only. */
  'run.log': z.object({
    run: z.string(),
    lines: z.array(z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() })),
    dropped: z.number().int(),
  }),
  /**
   * Alerts a check of a monitor fired and resolved, as it recorded them (the app's checks, and
   * through the event journal other processes'), for the app to say so wherever the user is.
   */
  'alerts.moved': z.object({ monitor: z.string(), fired: z.array(Alert), resolved: z.array(Alert) }),
  /** Names what changed, for cache invalidation: entities made by the builders of entities.ts. */
  changed: z.object({ entities: z.array(z.string()) }),
} as const;

export type Events = typeof events;
export type Topic = keyof Events;
export type EventOf<T extends Topic> = z.infer<Events[T]>;
export const topics = Object.keys(events) as Topic[];

/** The event frame on the WebSocket and the IPC event channel. */
export const EventFrame = z.object({ topic: z.enum(topics as [Topic, ...Topic[]]), payload: z.unknown() });
