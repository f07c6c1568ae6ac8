/**
 * Per-column results of a drift check, sortable by any column. A row opens to show the reference
 * and current distributions overlaid, and the counts behind the statistic.
 */
import { Fragment, useState } from 'react';
import type { DriftColumnResult } from '../../../shared/drift.ts';
import { pValueMethods } from '../../../shared/drift.ts';
import { formatCount, formatJsonNumber, formatShare, formatStat } from '../../format.ts';
import { DistributionChart } from './DistributionChart.tsx';
import './ReportView.css';

type SortKey =
  | 'column'
  | 'type'
  | 'method'
  | 'statistic'
  | 'pValue'
  | 'threshold'
  | 'drifted'
  | 'missingShare';
const HEADERS: { key: SortKey; label: string; num?: boolean; title?: string }[] = [
  { key: 'column', label: 'Column' },
  { key: 'type', label: 'Type' },
  { key: 'method', label: 'Method' },
  { key: 'statistic', label: 'Statistic', num: true },
  {
    key: 'pValue',
    label: 'p-value',
    num: true,
    title: 'Only for tests (ks, chisquare, z); distances have none',
  },
  { key: 'threshold', label: 'Threshold', num: true },
  { key: 'drifted', label: 'Drift' },
  { key: 'missingShare', label: 'Missing', num: true, title: 'Share of current rows with no value' },
];

/** Sort value: non-finite strings as numbers, untested (null) always last. */
function sortValue(c: DriftColumnResult, key: SortKey): number | string | null {
  const v = c[key];
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (v === 'NaN') return null;
  return v;
}

export function ColumnTable(props: { columns: DriftColumnResult[] }) {
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 } | null>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const rows = sort
    ? [...props.columns].sort((a, b) => {
        const x = sortValue(a, sort.key);
        const y = sortValue(b, sort.key);
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
      })
    : props.columns;
  const toggle = (column: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(column)) next.add(column);
      return next;
    });
  const sortBy = (key: SortKey) =>
    setSort((s) => (s?.key === key ? (s.dir === 1 ? { key, dir: -1 } : null) : { key, dir: 1 }));

  return (
    <div className="table-scroll">
      <table className="grid grid-hover drift-table" data-testid="drift-columns">
        <thead>
          <tr>
            <th className="caret-cell" aria-label="Details" />
            {HEADERS.map((h) => (
              <th
                key={h.key}
                className={h.num ? 'num' : undefined}
                title={h.title}
                aria-sort={sort?.key === h.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
              >
                <button type="button" className="sort-button" onClick={() => sortBy(h.key)}>
                  {h.label}
                  <span className="sort-mark" aria-hidden="true">
                    {sort?.key === h.key ? (sort.dir === 1 ? '▲' : '▼') : ''}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => {
            const isOpen = open.has(c.column);
            return (
              <Fragment key={c.column}>
                <tr
                  className={isOpen ? 'clickable selected' : 'clickable'}
                  data-testid="drift-column-row"
                  data-column={c.column}
                  data-drifted={c.drifted}
                  aria-expanded={isOpen}
                  onClick={() => toggle(c.column)}
                >
                  <td className="caret-cell">
                    <span className={isOpen ? 'caret open' : 'caret'}>▸</span>
                  </td>
                  <td className="strong">{c.column}</td>
                  <td>
                    <span className="type-tag">{c.type}</span>
                  </td>
                  <td className="mono">{c.method}</td>
                  <td className="num">{formatJsonNumber(c.statistic)}</td>
                  <td className="num">{formatJsonNumber(c.pValue)}</td>
                  <td className="num muted">{thresholdText(c)}</td>
                  <td>
                    <DriftBadge column={c} />
                  </td>
                  <td className={c.missingShare > 0 ? 'num warn' : 'num'}>{formatShare(c.missingShare)}</td>
                </tr>
                {isOpen && (
                  <tr className="detail-row" data-testid="drift-column-detail">
                    <td />
                    <td colSpan={HEADERS.length}>
                      <ColumnDetail column={c} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** When the column counts as drifted (DESIGN.md §7): ks at p ≤ t, the other tests below t, distances from t. */
export function thresholdText(c: Pick<DriftColumnResult, 'method' | 'threshold'>): string {
  const op = c.method === 'ks' ? 'p ≤' : pValueMethods.includes(c.method) ? 'p <' : '≥';
  return `${op} ${formatStat(c.threshold)}`;
}

export function DriftBadge(props: { column: Pick<DriftColumnResult, 'drifted' | 'skipped'> }) {
  if (props.column.skipped) return <span className="pill pill-muted">Not tested</span>;
  return props.column.drifted ? (
    <span className="pill pill-drift">Drifted</span>
  ) : (
    <span className="pill pill-ok">No drift</span>
  );
}

function ColumnDetail(props: { column: DriftColumnResult }) {
  const c = props.column;
  const both = (x: { reference: number; current: number }, f = formatCount) =>
    `${f(x.reference)} · ${f(x.current)}`;
  return (
    <div className="column-detail">
      {c.distribution ? (
        <DistributionChart column={c.column} distribution={c.distribution} />
      ) : (
        <p className="muted chart-missing">
          No distribution to show: {c.skipped ?? 'no values were tested.'}
        </p>
      )}
      <dl className="detail-facts">
        {c.skipped && (
          <div className="wide-fact">
            <dt>Not tested</dt>
            <dd>{c.skipped}</dd>
          </div>
        )}
        <div>
          <dt>Values tested (ref · cur)</dt>
          <dd>{both(c.counts)}</dd>
        </div>
        <div>
          <dt>Missing (ref · cur)</dt>
          <dd>
            {formatShare(c.referenceMissingShare)} · {formatShare(c.missingShare)}
          </dd>
        </div>
        {(c.invalid.reference > 0 || c.invalid.current > 0) && (
          <div>
            <dt>Not numbers, dropped (ref · cur)</dt>
            <dd className="warn">{both(c.invalid)}</dd>
          </div>
        )}
        <div>
          <dt>Distinct values</dt>
          <dd>{formatCount(c.distinct)}</dd>
        </div>
        <div>
          <dt>Stored as (ref · cur)</dt>
          <dd className="mono">
            {c.storage.reference} · {c.storage.current}
          </dd>
        </div>
        {c.newCategoryCount > 0 && (
          <div className="wide-fact">
            <dt>New in current ({formatCount(c.newCategoryCount)})</dt>
            <dd className="mono">
              {c.newCategories.join(', ')}
              {c.newCategoryCount > c.newCategories.length ? ', …' : ''}
            </dd>
          </div>
        )}
      </dl>
    </div>
  );
}
