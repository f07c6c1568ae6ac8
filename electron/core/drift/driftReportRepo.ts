/** SQL for stored drift reports and presets. */
import type {
  DriftInputIdentity,
  DriftOptions,
  DriftOptionsPatch,
  DriftPreset,
  DriftReport,
  DriftReportRecord,
  DriftReportSummary,
} from '../../../shared/drift.ts';
import { notFound } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { type Db, writeTransaction } from '../store/database.ts';

interface ReportRow {
  id: string;
  created_at: number;
  reference: string;
  current: string;
  preset: string | null;
  options: string;
  dataset_drift: number;
  share: number;
  drifted: number;
  tested: number;
  report?: string;
}

const SUMMARY_COLS =
  'id, created_at, reference, current, preset, options, dataset_drift, share, drifted, tested';

function toSummary(r: ReportRow): DriftReportSummary {
  return {
    id: r.id,
    createdAt: r.created_at,
    reference: JSON.parse(r.reference) as DriftInputIdentity,
    current: JSON.parse(r.current) as DriftInputIdentity,
    preset: r.preset,
    datasetDrift: r.dataset_drift === 1,
    share: r.share,
    drifted: r.drifted,
    tested: r.tested,
  };
}

export class DriftReportRepo {
  constructor(private readonly db: Db) {}

  save(input: {
    reference: DriftInputIdentity;
    current: DriftInputIdentity;
    preset: string | null;
    options: DriftOptions;
    report: DriftReport;
    /** The monitor whose check this is (kept out of the list; removed with its checks). */
    monitorId?: string;
  }): DriftReportRecord {
    const id = newId();
    const createdAt = now();
    const { report } = input;
    writeTransaction(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO drift_reports (id, created_at, reference, current, preset, options, dataset_drift, share, drifted, tested, report, monitor_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          createdAt,
          JSON.stringify(input.reference),
          JSON.stringify(input.current),
          input.preset,
          JSON.stringify(input.options),
          report.datasetDrift ? 1 : 0,
          report.share,
          report.drifted,
          report.tested,
          JSON.stringify(report),
          input.monitorId ?? null,
        );
      const link = this.db.prepare(
        'INSERT OR IGNORE INTO drift_report_datasets (report_id, dataset) VALUES (?, ?)',
      );
      for (const side of [input.reference, input.current]) if (side.dataset) link.run(id, side.dataset);
    });
    return {
      id,
      createdAt,
      reference: input.reference,
      current: input.current,
      preset: input.preset,
      datasetDrift: report.datasetDrift,
      share: report.share,
      drifted: report.drifted,
      tested: report.tested,
      options: input.options,
      report,
    };
  }

  /** Reports of the checks a user asked for (not monitors'), newest first. */
  list(dataset?: string): DriftReportSummary[] {
    const rows = (
      dataset === undefined
        ? this.db
            .prepare(
              `SELECT ${SUMMARY_COLS} FROM drift_reports WHERE monitor_id IS NULL ORDER BY created_at DESC, id DESC`,
            )
            .all()
        : this.db
            .prepare(
              `SELECT ${SUMMARY_COLS} FROM drift_reports
                WHERE monitor_id IS NULL AND id IN (SELECT report_id FROM drift_report_datasets WHERE dataset = ?)
                ORDER BY created_at DESC, id DESC`,
            )
            .all(dataset)
    ) as ReportRow[];
    return rows.map(toSummary);
  }

  get(id: string): DriftReportRecord {
    const row = this.db.prepare(`SELECT ${SUMMARY_COLS}, report FROM drift_reports WHERE id = ?`).get(id) as
      | ReportRow
      | undefined;
    if (!row) throw notFound(`No drift report ${id}. Run \`mlwb drift reports\` to list them.`);
    return {
      ...toSummary(row),
      options: JSON.parse(row.options) as DriftOptions,
      report: JSON.parse(row.report!) as DriftReport,
    };
  }

  /** Removes a monitor's reports: all of them, or those made before `before`. */
  deleteMonitorReports(monitorId: string, before?: number): number {
    return this.db
      .prepare('DELETE FROM drift_reports WHERE monitor_id = ? AND created_at < ?')
      .run(monitorId, before ?? Number.MAX_SAFE_INTEGER).changes;
  }

  presets(): DriftPreset[] {
    const rows = this.db
      .prepare('SELECT name, options, created_at, updated_at FROM drift_presets ORDER BY name')
      .all() as {
      name: string;
      options: string;
      created_at: number;
      updated_at: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      options: JSON.parse(r.options) as DriftOptionsPatch,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  preset(name: string): DriftPreset {
    const p = this.presets().find((x) => x.name === name);
    if (!p)
      throw notFound(`No drift preset named "${name}". Save one first (mlwb drift presets save ${name} …).`);
    return p;
  }

  savePreset(name: string, options: DriftOptionsPatch): DriftPreset {
    const t = now();
    this.db
      .prepare(
        `INSERT INTO drift_presets (name, options, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET options = excluded.options, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(options), t, t);
    return this.preset(name);
  }

  deletePreset(name: string): boolean {
    return this.db.prepare('DELETE FROM drift_presets WHERE name = ?').run(name).changes > 0;
  }
}
