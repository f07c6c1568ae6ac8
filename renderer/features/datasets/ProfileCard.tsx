/**
 * One tabular file's schema and per-column profile: type, missing, distinct, min/max, mean/std,
 * quantiles, and a small distribution chart. A file that could not be read as a table shows the
 * reason instead: the version still holds it.
 */
import type { ColumnProfile, TableProfile } from '../../../shared/datasets.ts';
import { MiniChart } from '../../components/MiniChart.tsx';
import { Warnings } from '../../components/Notice.tsx';
import { formatCount, formatStat, plural } from '../../format.ts';
import './datasets.css';

export function ProfileCard(props: { table: TableProfile; anchor: string }) {
  const t = props.table;
  return (
    <section className="card" id={props.anchor} data-testid="profile-card">
      <header className="card-header">
        <h3 className="mono">{t.path}</h3>
        <span className="badge">{t.format.toUpperCase()}</span>
        {!t.error && (
          <span className="muted">
            {t.rows === null ? 'rows unknown' : plural(t.rows, 'row')} · {plural(t.columns.length, 'column')}
          </span>
        )}
      </header>
      {t.error && (
        <div className="notice notice-error" role="alert">
          <div className="notice-text">
            <strong>Could not read this file as a table.</strong> {t.error}
          </div>
        </div>
      )}
      <Warnings items={t.warnings} />
      {t.columns.length > 0 && (
        <div className="table-scroll">
          <table className="grid profile-table">
            <thead>
              <tr>
                <th>Column</th>
                <th>Type</th>
                <th className="num">Missing</th>
                <th className="num">Distinct</th>
                <th className="num">Min</th>
                <th className="num">Max</th>
                <th className="num">Mean</th>
                <th className="num">Std</th>
                <th className="num" title="5th, 25th, 50th, 75th, 95th percentiles">
                  p5 · p25 · p50 · p75 · p95
                </th>
                <th>Distribution</th>
              </tr>
            </thead>
            <tbody>
              {t.columns.map((c) => (
                <ColumnRow key={c.name} column={c} rows={t.rows} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ColumnRow(props: { column: ColumnProfile; rows: number | null }) {
  const c = props.column;
  const share = props.rows ? c.missing / props.rows : 0;
  const q = c.quantiles;
  return (
    <tr>
      <td className="strong">{c.name}</td>
      <td>
        <span className="type-tag">{c.type}</span>
      </td>
      <td className={c.missing > 0 ? 'num warn' : 'num'}>
        {formatCount(c.missing)}
        {c.missing > 0 && <span className="muted"> ({(share * 100).toFixed(share < 0.01 ? 2 : 1)}%)</span>}
      </td>
      <td className="num">{formatCount(c.distinct)}</td>
      <td className="num clip" title={String(c.min ?? '')}>
        {formatStat(c.min)}
      </td>
      <td className="num clip" title={String(c.max ?? '')}>
        {formatStat(c.max)}
      </td>
      <td className="num">{formatStat(c.mean)}</td>
      <td className="num">{formatStat(c.std)}</td>
      <td className="num quantiles">
        {q ? [q.p05, q.p25, q.p50, q.p75, q.p95].map((v) => formatStat(v)).join(' · ') : '—'}
      </td>
      <td className="chart-cell">
        <MiniChart column={c} />
      </td>
    </tr>
  );
}
