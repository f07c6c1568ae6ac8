/**
 * Drift checks as the API sees them: resolve the inputs, layer a preset under the explicit
 * options, run the statistics on a worker thread, and store the report with its inputs' identities.
 */

import type { DriftComparison, DriftOptionsPatch, DriftReportRecord } from '../../../shared/drift.ts';
import { DriftOptions, type DriftSource, layerOptions } from '../../../shared/drift.ts';
import type { OpContext } from '../ops/operations.ts';
import type { Db } from '../store/database.ts';
import { type InputDeps, type ResolvedInput, resolveDriftInput } from './driftInputs.ts';
import { DriftReportRepo } from './driftReportRepo.ts';
import { runDriftInWorker } from './driftRunner.ts';

/** A source as the user named it, or one resolved already (a monitor's window of traffic). */
export type CheckSource = DriftSource | { resolved: ResolvedInput };

export interface CheckRequest {
  reference: CheckSource;
  current: CheckSource;
  options: DriftOptionsPatch;
  preset?: string;
  save: boolean;
}

export class DriftService {
  readonly repo: DriftReportRepo;

  constructor(
    db: Db,
    private readonly inputs: InputDeps,
  ) {
    this.repo = new DriftReportRepo(db);
  }

  async check(req: CheckRequest, ctx: OpContext): Promise<DriftReportRecord> {
    ctx.progress({ phase: 'load', done: 0, total: 2, message: 'Resolving inputs' });
    // Both settle before anything is thrown: a side that was made (a deployment's window table)
    // is removed even when the other could not be resolved.
    const sides = await Promise.allSettled([
      this.resolve(req.reference, 'reference', ctx.signal),
      this.resolve(req.current, 'current', ctx.signal),
    ]);
    const failed = sides.find((s) => s.status === 'rejected');
    if (failed) {
      for (const s of sides) if (s.status === 'fulfilled') await s.value.cleanup?.();
      throw failed.reason;
    }
    const [reference, current] = sides.map((s) => (s as PromiseFulfilledResult<ResolvedInput>).value) as [
      ResolvedInput,
      ResolvedInput,
    ];
    try {
      const patch = req.preset
        ? layerOptions(this.repo.preset(req.preset).options, req.options)
        : req.options;
      // A deployment's traffic has only its features: those are the columns, unless named.
      const columns = patch.columns ?? current.columns ?? reference.columns;
      const options = DriftOptions.parse(columns ? { ...patch, columns } : patch);
      // The inputs are hashed for their identities while the check reads them; all three settle
      // before anything is thrown, so a staged upload is never removed while it is still read.
      const [checked, referenceId, currentId] = await Promise.allSettled([
        runDriftInWorker(
          {
            reference: { file: { path: reference.file, format: reference.format } },
            current: { file: { path: current.file, format: current.format } },
            options,
          },
          { signal: ctx.signal, onProgress: (p) => ctx.progress(p) },
        ),
        reference.identity(ctx.signal),
        current.identity(ctx.signal),
      ]);
      if (checked.status === 'rejected') throw checked.reason;
      if (referenceId.status === 'rejected') throw referenceId.reason;
      if (currentId.status === 'rejected') throw currentId.reason;
      const report = checked.value;
      const record = {
        reference: referenceId.value,
        current: currentId.value,
        preset: req.preset ?? null,
        options,
        report,
      };
      if (!req.save) {
        return { id: '', createdAt: Date.now(), ...record, ...summaryOf(report) };
      }
      return this.repo.save(record);
    } finally {
      await reference.cleanup?.();
      await current.cleanup?.();
    }
  }

  private resolve(source: CheckSource, side: string, signal: AbortSignal): Promise<ResolvedInput> {
    if (typeof source === 'object' && 'resolved' in source) return Promise.resolve(source.resolved);
    return resolveDriftInput(this.inputs, source, side, signal);
  }

  compare(a: string, b: string): DriftComparison {
    const ra = this.repo.get(a);
    const rb = this.repo.get(b);
    const pick = (r: DriftReportRecord, column: string) => {
      const c = r.report.columns.find((x) => x.column === column);
      return c ? { method: c.method, statistic: c.statistic, pValue: c.pValue, drifted: c.drifted } : null;
    };
    const names = [...new Set([...ra.report.columns, ...rb.report.columns].map((c) => c.column))];
    const { options: _oa, report: _ra, ...sa } = ra;
    const { options: _ob, report: _rb, ...sb } = rb;
    return {
      a: sa,
      b: sb,
      columns: names.map((column) => ({ column, a: pick(ra, column), b: pick(rb, column) })),
    };
  }
}

function summaryOf(report: DriftReportRecord['report']) {
  return {
    datasetDrift: report.datasetDrift,
    share: report.share,
    drifted: report.drifted,
    tested: report.tested,
  };
}
