/**
 * One drift report: the verdict first (dataset drift or not, and why), the inputs and their sizes,
 * what looked odd about the data (warnings, schema checks), then the per-column table.
 */
import type { DriftReportRecord } from '../../../shared/drift.ts';
import { Warnings } from '../../components/Notice.tsx';
import { formatCount, formatDate, formatShare, plural } from '../../format.ts';
import { ColumnTable } from './ColumnTable.tsx';
import { InputName } from './InputName.tsx';
import './ReportView.css';

export function ReportView(props: { record: DriftReportRecord; onClose?: () => void }) {
  const { record: r } = props;
  const rep = r.report;
  return (
    <section className="report" data-testid="drift-report" aria-label="Drift report">
      <div className={rep.datasetDrift ? 'card verdict verdict-drift' : 'card verdict verdict-ok'}>
        <header className="card-header">
          <h2 data-testid="drift-verdict">
            {rep.datasetDrift ? 'Dataset drift detected' : 'No dataset drift'}
          </h2>
          <span className="muted small">
            {r.id ? formatDate(r.createdAt) : 'not stored'}
            {r.preset && <> · preset “{r.preset}”</>}
          </span>
          {props.onClose && (
            <button type="button" className="btn btn-small btn-ghost" onClick={props.onClose}>
              Close report
            </button>
          )}
        </header>
        <p>
          {rep.tested === 0
            ? 'No column could be tested.'
            : `${formatCount(rep.drifted)} of ${plural(rep.tested, 'tested column')} drifted (${formatShare(rep.share)}); `}
          {rep.tested > 0 &&
            (rep.datasetDrift
              ? `that is at least the drift share of ${formatShare(rep.driftShare)}.`
              : `dataset drift needs ${formatShare(rep.driftShare)} or more.`)}
        </p>
        <div className="stat-row">
          <Stat
            label="Drifted columns"
            value={`${formatCount(rep.drifted)} / ${formatCount(rep.tested)}`}
            alarm={rep.datasetDrift}
          />
          <Stat
            label={`Share (drift at ≥ ${formatShare(rep.driftShare)})`}
            value={formatShare(rep.share)}
            alarm={rep.datasetDrift}
          />
          <Stat label="Reference rows" value={formatCount(rep.reference.rows)} />
          <Stat label="Current rows" value={formatCount(rep.current.rows)} />
        </div>
        <dl className="report-inputs">
          <div>
            <dt>Reference</dt>
            <dd>
              <InputName identity={r.reference} />
            </dd>
          </div>
          <div>
            <dt>Current</dt>
            <dd>
              <InputName identity={r.current} />
            </dd>
          </div>
        </dl>
      </div>
      <Warnings items={rep.warnings} title="About the data" />
      <SchemaChecks record={r} />
      <div className="card card-flush">
        <header className="card-header">
          <h3>Columns</h3>
          <span className="muted small">Click a row for its distributions · click a heading to sort</span>
        </header>
        <ColumnTable columns={rep.columns} />
      </div>
    </section>
  );
}

function Stat(props: { label: string; value: string; alarm?: boolean }) {
  return (
    <div className={props.alarm ? 'stat stat-remove' : 'stat'}>
      <div className="stat-value">{props.value}</div>
      <div className="stat-label">{props.label}</div>
    </div>
  );
}

function SchemaChecks(props: { record: DriftReportRecord }) {
  const s = props.record.report.schema;
  const total =
    s.missingColumns.length +
    s.newColumns.length +
    s.typeChanges.length +
    s.newCategories.length +
    s.missingShareJumps.length;
  return (
    <div className="card schema-card" data-testid="schema-checks">
      <header className="card-header">
        <h3>Schema checks</h3>
        {total === 0 && (
          <span className="muted small">
            Same columns and types, no new categories, no jumps in missing values.
          </span>
        )}
      </header>
      {total > 0 && (
        <ul className="schema-list">
          {s.missingColumns.length > 0 && (
            <SchemaItem tone="remove" title="Missing from current" items={s.missingColumns} />
          )}
          {s.newColumns.length > 0 && <SchemaItem tone="add" title="New in current" items={s.newColumns} />}
          {s.typeChanges.length > 0 && (
            <SchemaItem
              tone="change"
              title="Type changes"
              items={s.typeChanges.map((t) => `${t.column}: ${t.from} → ${t.to}`)}
            />
          )}
          {s.newCategories.map((c) => (
            <SchemaItem
              key={c.column}
              tone="change"
              title={`New categories in ${c.column}`}
              items={[
                ...c.values,
                ...(c.count > c.values.length ? [`${formatCount(c.count - c.values.length)} more`] : []),
              ]}
            />
          ))}
          {s.missingShareJumps.length > 0 && (
            <SchemaItem
              tone="change"
              title="Missing values jumped"
              items={s.missingShareJumps.map(
                (j) => `${j.column}: ${formatShare(j.reference)} → ${formatShare(j.current)}`,
              )}
            />
          )}
        </ul>
      )}
    </div>
  );
}

function SchemaItem(props: { tone: 'add' | 'remove' | 'change'; title: string; items: string[] }) {
  return (
    <li className="schema-item">
      <span className={`schema-title tone-${props.tone}`}>{props.title}</span>
      <span className="source-items">
        {props.items.map((i) => (
          <span key={i} className={`chip chip-${props.tone} mono`}>
            {i}
          </span>
        ))}
      </span>
    </li>
  );
}
