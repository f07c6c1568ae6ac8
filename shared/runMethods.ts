/**
 * The contract's methods for experiments and runs: starting, following, reading and comparing them
 * (gathered into contract.ts's `methods`).
 */
import * as z from 'zod';
import { entities as e, nothing } from './entities.ts';
import { method } from './method.ts';
import {
  COMPARE_LIMIT,
  Experiment,
  MetricPoint,
  MetricSeriesWindow,
  RunPage,
  RunSearch,
  RunStatus,
  RunSummary,
  SampledSeries,
  SERIES_LIMITS,
} from './tracking.ts';
import { RunDetail, RunParams, StartRuns } from './training.ts';

export const runMethods = {
  'experiments.list': method(z.object({}), z.array(Experiment), { reads: () => [e.experiments] }),
  // The experiment is made on first use of its name.
  'runs.start': method(StartRuns, z.object({ runs: z.array(z.string()) }), {
    writes: () => [e.runs, e.experiments],
  }),
  /**
   * Gives runs this process created with `detach` to the process `pid` (a detached runs'
   * supervisor), which launches and follows them; returns the ids that moved.
   */
  'runs.handOver': method(
    z.object({ ids: z.array(z.string().min(1)).min(1), pid: z.number().int().positive() }),
    z.object({ runs: z.array(z.string()) }),
    { writes: (_p, r) => (r.runs.length ? [e.runs] : []) },
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
    // The runs it adopts announce their own changes as they launch and end (runFollower.ts).
    { long: true, writes: nothing },
  ),
  /**
   * Settles runs whose containers ended while no process followed them. Each run settled is
   * announced as it is (runService.ts, runFollower.ts).
   */
  'runs.reconcile': method(z.object({}), z.object({}), { writes: nothing }),
  'runs.search': method(RunSearch, RunPage, { reads: () => [e.runs] }),
  'runs.get': method(z.object({ id: z.string().min(1) }), z.object({ run: RunSummary, detail: RunDetail }), {
    reads: (p) => [e.run(p.id), e.runMetrics(p.id)],
  }),
  /** Several runs' summaries in one read, in the order asked; `missing` names ids with no run. */
  'runs.getMany': method(
    z.object({ ids: z.array(z.string().min(1)).min(1).max(COMPARE_LIMIT) }),
    z.object({ runs: z.array(RunSummary), missing: z.array(z.string()) }),
    { reads: (p) => p.ids.flatMap((id) => [e.run(id), e.runMetrics(id)]) },
  ),
  // Followed live through `run.log` events; read again once when the run ends (useRunLive.ts).
  'runs.logs': method(
    z.object({ id: z.string().min(1), tail: z.number().int().positive().max(100_000).default(2000) }),
    z.array(z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() })),
    { reads: nothing },
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
    { reads: (p) => [e.run(p.id)] },
  ),
  'runs.metricHistory': method(
    z.object({ id: z.string().min(1), key: z.string().min(1) }),
    z.array(MetricPoint),
    { reads: (p) => [e.runMetrics(p.id)] },
  ),
  /**
   * Series of several runs for charts: every point where a series has at most maxPoints between
   * from and to, else that many buckets (SeriesPoint). One request per chart, whatever its length.
   */
  'runs.metricSeries': method(
    MetricSeriesWindow.extend({
      ids: z.array(z.string().min(1)).min(1).max(SERIES_LIMITS.runs),
      keys: z.array(z.string().min(1)).min(1).max(SERIES_LIMITS.keys),
    })
      .refine((p) => p.from === undefined || p.to === undefined || p.from <= p.to, {
        message: 'from must not be after to.',
        path: ['from'],
      })
      .refine((p) => p.ids.length * p.keys.length * p.maxPoints <= SERIES_LIMITS.pointsPerRequest, {
        message: `At most ${SERIES_LIMITS.pointsPerRequest.toLocaleString('en')} points in one request (runs × keys × maxPoints): ask for fewer runs or keys at a time, or fewer points.`,
        path: ['maxPoints'],
      }),
    z.object({ series: z.array(SampledSeries) }),
    { reads: (p) => p.ids.map((id) => e.runMetrics(id)) },
  ),
  'runs.cancel': method(
    z.object({ id: z.string().min(1) }),
    z.object({ status: z.string(), cancelled: z.boolean() }),
    { writes: (p, r) => (r.cancelled ? [e.runs, e.run(p.id)] : []) },
  ),
  'runs.rerun': method(
    z.object({
      id: z.string().min(1),
      params: RunParams.optional(),
      /** As for runs.start: held for the process it is handed to, not launched here. */
      detach: z.boolean().default(false),
    }),
    z.object({ run: z.string() }),
    { writes: () => [e.runs] },
  ),
  'runs.saveArtifact': method(
    z.object({ id: z.string().min(1), path: z.string().min(1), dir: z.string().min(1) }),
    z.object({ saved: z.string() }),
    // Copies into a folder of the user's, nothing the workbench shows.
    { writes: nothing },
  ),
  'runs.setTag': method(
    z.object({ id: z.string().min(1), key: z.string().min(1).max(250), value: z.string().max(8000) }),
    z.object({}),
    { writes: (p) => [e.runs, e.run(p.id)] },
  ),
  'runs.deleteTag': method(z.object({ id: z.string().min(1), key: z.string().min(1) }), z.object({}), {
    writes: (p) => [e.runs, e.run(p.id)],
  }),
};
