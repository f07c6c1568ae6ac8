/** One tabular file's changes between two versions: schema, row counts, and example rows. */
import type { TableDiff } from '../../../shared/datasets.ts';
import { formatCount } from '../../format.ts';
import './datasets.css';

export function TableDiffCard(props: { diff: TableDiff; keyColumn?: string }) {
  const d = props.diff;
  const s = d.schema;
  const schemaChanged = s.addedColumns.length + s.removedColumns.length + s.typeChanges.length > 0;
  return (
    <section className="card" data-testid="table-diff">
      <header className="card-header">
        <h3 className="mono">{d.path}</h3>
      </header>
      {d.error && (
        <div className="notice notice-error" role="alert">
          <div className="notice-text">
            <strong>Rows could not be compared.</strong> {d.error}
          </div>
        </div>
      )}
      <div className="stat-row">
        <Stat label="Rows added" value={d.rows.added} tone="add" testId="rows-added" />
        <Stat label="Rows removed" value={d.rows.removed} tone="remove" testId="rows-removed" />
        <Stat
          label="Rows changed"
          value={d.rows.changed}
          tone="change"
          hint={props.keyColumn ? undefined : 'needs a key'}
        />
        <Stat
          label="Rows unchanged"
          value={d.rows.unchanged}
          hint={props.keyColumn ? undefined : 'needs a key'}
        />
      </div>
      <div className="schema-changes">
        <span className="form-label">Schema</span>
        {!schemaChanged && <span className="muted">unchanged</span>}
        {s.addedColumns.map((c) => (
          <span key={`+${c}`} className="chip chip-add">
            + {c}
          </span>
        ))}
        {s.removedColumns.map((c) => (
          <span key={`-${c}`} className="chip chip-remove">
            − {c}
          </span>
        ))}
        {s.typeChanges.map((t) => (
          <span key={`~${t.column}`} className="chip chip-change">
            {t.column}: {t.from} → {t.to}
          </span>
        ))}
      </div>
      {d.samples && d.samples.added.length > 0 && (
        <SampleRows title="Examples of added rows" rows={d.samples.added} tone="add" />
      )}
      {d.samples && d.samples.removed.length > 0 && (
        <SampleRows title="Examples of removed rows" rows={d.samples.removed} tone="remove" />
      )}
    </section>
  );
}

function Stat(props: {
  label: string;
  value: number | null;
  tone?: 'add' | 'remove' | 'change';
  hint?: string;
  testId?: string;
}) {
  return (
    <div className={`stat ${props.tone && props.value ? `stat-${props.tone}` : ''}`}>
      <div className="stat-value" data-testid={props.testId}>
        {props.value === null ? '—' : formatCount(props.value)}
      </div>
      <div className="stat-label">
        {props.label}
        {props.value === null && props.hint && <span className="muted"> ({props.hint})</span>}
      </div>
    </div>
  );
}

function SampleRows(props: { title: string; rows: Record<string, unknown>[]; tone: 'add' | 'remove' }) {
  const columns = [...new Set(props.rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className="samples">
      <div className="samples-title">{props.title}</div>
      <div className="table-scroll">
        <table className={`grid grid-compact rows-${props.tone}`}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r, i) => (
              // Sample rows have no identity of their own; their order is stable.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c}>{cell(r[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
