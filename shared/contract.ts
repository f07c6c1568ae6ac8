/**
 * The one contract between renderer, server, CLI and core: every method's name, params and result
 * (zod), and every event topic. The IPC bridge, the HTTP/WebSocket server and the CLI are adapters
 * over this table; nothing crosses a process boundary without being parsed against it.
 *
 * A method marked `long` returns `{ op }` at once; its `result` schema describes what the
 * operation finishes with (see `op.finished`), and it reports progress events meanwhile.
 */
import { z } from 'zod';
import {
  AddResult,
  DatasetName,
  DatasetSummary,
  DiffResult,
  ExportResult,
  GcResult,
  ProfileResult,
  VerifyResult,
  VersionDetail,
  VersionSummary,
} from './datasets.ts';
import {
  DriftCheckParams,
  DriftComparison,
  DriftOptionsPatch,
  DriftPreset,
  DriftReportRecord,
  DriftReportSummary,
  PresetName,
} from './drift.ts';
import { WireError } from './errors.ts';
import {
  Experiment,
  FilterName,
  FilterScope,
  MetricPoint,
  RunPage,
  RunSearch,
  RunStatus,
  RunSummary,
  SavedFilter,
} from './tracking.ts';
import { EngineConfig, EngineFields, EngineName, Recipe, RunDetail, StartRuns } from './training.ts';

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

// `L` keeps `long` a literal type, so ReplyOf and the renderer's hooks can tell long methods apart.
function method<P extends z.ZodType, R extends z.ZodType, L extends boolean = false>(
  params: P,
  result: R,
  opts: { long?: L } = {},
) {
  return { params, result, long: (opts.long ?? false) as L };
}

export const methods = {
  'app.info': method(z.object({}), AppInfo),
  'engine.status': method(z.object({ name: z.string().optional() }), EngineStatus),
  'engines.list': method(
    z.object({}),
    z.array(EngineFields.omit({ name: true }).extend({ name: z.string(), isDefault: z.boolean() })),
  ),
  'engines.add': method(EngineConfig, z.object({ status: EngineStatus })),
  'engines.remove': method(z.object({ name: EngineName }), z.object({ removed: z.boolean() })),

  'datasets.list': method(z.object({}), z.array(DatasetSummary)),
  'datasets.versions': method(z.object({ name: DatasetName }), z.array(VersionSummary)),
  'datasets.show': method(VersionRef, VersionDetail),
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
    { long: true },
  ),
  'datasets.profile': method(VersionRef, ProfileResult),
  'datasets.diff': method(
    z.object({
      name: DatasetName,
      from: z.number().int().positive(),
      to: z.number().int().positive(),
      key: z.string().min(1).optional(),
    }),
    DiffResult,
  ),
  'datasets.export': method(
    // links: read-only hard links to the stored files instead of copies (see exporter.ts).
    VersionRef.extend({ dir: z.string().min(1), links: z.boolean().default(false) }),
    ExportResult,
    { long: true },
  ),

  'drift.check': method(DriftCheckParams, DriftReportRecord, { long: true }),
  'drift.reports': method(z.object({ dataset: z.string().optional() }), z.array(DriftReportSummary)),
  'drift.report': method(z.object({ id: z.string().min(1) }), DriftReportRecord),
  'drift.compare': method(z.object({ a: z.string().min(1), b: z.string().min(1) }), DriftComparison),
  'drift.presets': method(z.object({}), z.array(DriftPreset)),
  'drift.presets.save': method(z.object({ name: PresetName, options: DriftOptionsPatch }), DriftPreset),
  'drift.presets.delete': method(z.object({ name: PresetName }), z.object({ deleted: z.boolean() })),

  'recipes.inspect': method(
    z.object({ path: z.string().min(1) }),
    z.object({ dir: z.string(), recipe: Recipe }),
  ),
  'experiments.list': method(z.object({}), z.array(Experiment)),
  'runs.start': method(StartRuns, z.object({ runs: z.array(z.string()) })),
  /**
   * Gives runs this process created with `detach` to the process `pid` (a detached runs'
   * supervisor), which launches and follows them; returns the ids that moved.
   */
  'runs.handOver': method(
    z.object({ ids: z.array(z.string().min(1)).min(1), pid: z.number().int().positive() }),
    z.object({ runs: z.array(z.string()) }),
  ),
  /**
   * Ends when every run has ended, with them as they ended. `adopt`: runs nobody answers for any
   * more (their process exited) are launched or followed by this process meanwhile, at most
   * `parallel` at once.
   */
  'runs.wait': method(
    z.object({
      ids: z.array(z.string().min(1)).min(1),
      adopt: z.boolean().default(false),
      parallel: z.number().int().positive().max(32).optional(),
    }),
    z.object({ runs: z.array(RunSummary) }),
    { long: true },
  ),
  /** Settles runs whose containers ended while no process followed them. */
  'runs.reconcile': method(z.object({}), z.object({})),
  'runs.search': method(RunSearch, RunPage),
  'runs.get': method(z.object({ id: z.string().min(1) }), z.object({ run: RunSummary, detail: RunDetail })),
  'runs.logs': method(
    z.object({ id: z.string().min(1), tail: z.number().int().positive().max(100_000).default(2000) }),
    z.array(z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() })),
  ),
  /**
   * Complete log lines from byte `from` on, where to read next, and the run's status as it was
   * before reading: a reader that sees an ended status and then no lines has the whole log.
   */
  'runs.readLog': method(
    z.object({ id: z.string().min(1), from: z.number().int().nonnegative().default(0) }),
    z.object({
      lines: z.array(z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() })),
      next: z.number().int(),
      status: RunStatus,
    }),
  ),
  'runs.metricHistory': method(
    z.object({ id: z.string().min(1), key: z.string().min(1) }),
    z.array(MetricPoint),
  ),
  'runs.cancel': method(
    z.object({ id: z.string().min(1) }),
    z.object({ status: z.string(), cancelled: z.boolean() }),
  ),
  'runs.rerun': method(
    z.object({
      id: z.string().min(1),
      params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
      /** As for runs.start: held for the process it is handed to, not launched here. */
      detach: z.boolean().default(false),
    }),
    z.object({ run: z.string() }),
  ),
  'runs.saveArtifact': method(
    z.object({ id: z.string().min(1), path: z.string().min(1), dir: z.string().min(1) }),
    z.object({ saved: z.string() }),
  ),
  'runs.setTag': method(
    z.object({ id: z.string().min(1), key: z.string().min(1).max(250), value: z.string().max(8000) }),
    z.object({}),
  ),
  'runs.deleteTag': method(z.object({ id: z.string().min(1), key: z.string().min(1) }), z.object({})),

  'filters.list': method(z.object({ scope: FilterScope }), z.array(SavedFilter)),
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
  ),
  'filters.remove': method(
    z.object({ scope: FilterScope, name: z.string().min(1) }),
    z.object({ removed: z.boolean() }),
  ),

  'store.verify': method(z.object({}), VerifyResult, { long: true }),
  'store.gc': method(z.object({}), GcResult),

  'ops.get': method(z.object({ op: OpId }), OpInfo),
  'ops.list': method(z.object({}), z.array(OpInfo)),
  'ops.cancel': method(z.object({ op: OpId }), z.object({ cancelled: z.boolean() })),
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
   * Names what changed, for cache invalidation: `datasets`, `dataset:NAME`, `drift-reports`,
   * `drift-presets`, `runs`, `run:ID`, `run:ID:metrics`, `saved-filters:SCOPE`.
   */
  changed: z.object({ entities: z.array(z.string()) }),
} as const;

export type Events = typeof events;
export type Topic = keyof Events;
export type EventOf<T extends Topic> = z.infer<Events[T]>;
export const topics = Object.keys(events) as Topic[];

/** The event frame on the WebSocket and the IPC event channel. */
export const EventFrame = z.object({ topic: z.enum(topics as [Topic, ...Topic[]]), payload: z.unknown() });
