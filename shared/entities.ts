/**
 * What can change, named once. Contract methods declare the entities they read and write with
 * these builders (contract.ts); core announces writes as `changed` events built from them, and the
 * renderer refetches exactly the queries whose reads meet a change. Nothing else spells an entity:
 * an `Entity` can only come from here, so a name emitted and a name listened for cannot drift.
 *
 * On the wire an entity is a plain string (`runs`, `run:ID`, `run:ID:metrics`), which is what the
 * `changed` event carries and what older clients already understand.
 *
 * A new entity is one line below: `models: collection('models')`, `model: member('model')`.
 */
import type { FilterScope } from './tracking.ts';

declare const brand: unique symbol;
export type Entity = string & { readonly [brand]: 'Entity' };

/** A whole collection: its lists read it, and any change to one of its members writes it. */
const collection = (name: string) => name as Entity;

/** One member of a collection, by its key (a name, an id, a scope). */
const member =
  <K extends string = string>(kind: string) =>
  (key: K) =>
    `${kind}:${key}` as Entity;

const streamSuffixes: { kind: string; suffix: string }[] = [];
/**
 * A part of a member that changes many times a second while it is written (a run's metrics). The
 * renderer's shared invalidation leaves a stream to the views that follow it live, throttled
 * (renderer/api/useRunLive.ts): a sweep's metrics must not refetch every chart on every page.
 */
const stream = (kind: string, part: string) => {
  streamSuffixes.push({ kind: `${kind}:`, suffix: `:${part}` });
  return (key: string) => `${kind}:${key}:${part}` as Entity;
};

export const entities = {
  engines: collection('engines'),
  /** One named engine's settings (its status is read through them). */
  engine: member('engine'),

  datasets: collection('datasets'),
  /** A dataset's versions and its latest version; a numbered version never changes. */
  dataset: member('dataset'),

  /** The list of stored drift reports; a stored report never changes. */
  driftReports: collection('drift-reports'),
  driftPresets: collection('drift-presets'),

  experiments: collection('experiments'),
  runs: collection('runs'),
  /** One run's state, params and tags. */
  run: member('run'),
  runMetrics: stream('run', 'metrics'),

  savedFilters: member<FilterScope>('saved-filters'),

  models: collection('models'),
  /** A registered model: its versions, aliases, history, gates and evaluations. */
  model: member('model'),

  deployments: collection('deployments'),
  /** One deployment's record and history (its live status is read from the engine on each look). */
  deployment: member('deployment'),

  monitors: collection('monitors'),
  /** One monitor: its settings, its checks and its alerts. */
  monitor: member('monitor'),
  alerts: collection('alerts'),

  policies: collection('policies'),
  /** One continuous-training policy and its executions. */
  policy: member('policy'),
} as const;

/** True for an entity made by a `stream` builder (see above). */
export function isStream(entity: string): boolean {
  return streamSuffixes.some(
    (s) =>
      entity.length >= s.kind.length + s.suffix.length &&
      entity.startsWith(s.kind) &&
      entity.endsWith(s.suffix),
  );
}

/** For declarations that read or write nothing that changes. */
export const nothing = (): readonly Entity[] => [];
