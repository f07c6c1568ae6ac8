/**
 * The runs table: status, name, created, duration, then a column per metric and per param of the
 * runs loaded. Windowed both ways (fixed row height and column widths; only the rows and columns in
 * view are rendered, the rest of a row is one spanning cell) so 10,000 runs × 30 columns scroll
 * smoothly; rows do not jump as they come and go. Sorting is the server's (`orderBy`); the header,
 * always whole, only says which column and which way.
 */
import { useEffect, useRef } from 'react';
import type { RunSummary } from '../../../shared/tracking.ts';
import { formatAgo, formatDate, formatJsonNumber } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { RunStatusBadge } from './RunStatusBadge.tsx';
import { formatDuration, runDuration, searchKey } from './runFormat.ts';
import { columnWindow, useWindowedRows } from './useWindowedRows.ts';
import './runs.css';

export const ROW_HEIGHT = 34;
const CHECK_WIDTH = 36;
/** Load the next page when the window comes this close to the last loaded run. */
const LOAD_AHEAD = 300;

export interface Sort {
  /** A search-syntax key: `attributes.created`, `metrics.acc`, `params.C`. */
  key: string;
  desc: boolean;
}

interface Column {
  id: string;
  label: string;
  width: number;
  sortKey?: string;
  /** The first click sorts this way: largest first for metrics and times. */
  firstDesc?: boolean;
  num?: boolean;
  group: 'run' | 'params' | 'metrics';
  cell(run: RunSummary, now: number): React.ReactNode;
  /** The cell's tooltip: the whole value where the column may cut it short. */
  title?(run: RunSummary): string | undefined;
}

function columns(paramKeys: string[], metricKeys: string[]): Column[] {
  return [
    {
      id: 'status',
      label: 'Status',
      width: 112,
      sortKey: 'attributes.status',
      group: 'run',
      cell: (r) => <RunStatusBadge status={r.status} />,
    },
    {
      id: 'name',
      label: 'Name',
      width: 190,
      sortKey: 'attributes.run_name',
      group: 'run',
      cell: (r) => (
        <a href={href({ page: 'run', id: r.id })} onClick={(e) => e.stopPropagation()} title={r.name}>
          {r.name}
        </a>
      ),
    },
    {
      id: 'created',
      label: 'Created',
      width: 112,
      sortKey: 'attributes.created',
      firstDesc: true,
      group: 'run',
      cell: (r, now) => formatAgo(r.createdAt, now),
      title: (r) => formatDate(r.createdAt),
    },
    {
      id: 'duration',
      label: 'Duration',
      width: 92,
      num: true,
      group: 'run',
      cell: (r, now) => {
        const d = runDuration(r, now);
        return d === null ? <span className="muted">—</span> : formatDuration(d);
      },
    },
    ...metricKeys.map(
      (k): Column => ({
        id: `m:${k}`,
        label: k,
        width: 124,
        sortKey: searchKey('metrics', k),
        firstDesc: true,
        num: true,
        group: 'metrics',
        cell: (r) =>
          r.metrics[k] === undefined ? <span className="muted">—</span> : formatJsonNumber(r.metrics[k]),
      }),
    ),
    ...paramKeys.map(
      (k): Column => ({
        id: `p:${k}`,
        label: k,
        width: 100,
        sortKey: searchKey('params', k),
        group: 'params',
        cell: (r) => r.params[k] ?? <span className="muted">—</span>,
        title: (r) => r.params[k],
      }),
    ),
  ];
}

export function RunsTable(props: {
  runs: RunSummary[];
  paramKeys: string[];
  metricKeys: string[];
  sort: Sort;
  onSort(sort: Sort): void;
  selected: ReadonlySet<string>;
  onToggle(id: string): void;
  onToggleAll(select: boolean): void;
  hasMore: boolean;
  onLoadMore(): void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const cols = columns(props.paramKeys, props.metricKeys);
  const win = useWindowedRows(scroller, props.runs.length, ROW_HEIGHT);
  const colWin = columnWindow(
    cols.map((c) => c.width),
    CHECK_WIDTH,
    win,
  );
  const shownCols = cols.slice(colWin.start, colWin.end);
  const now = Date.now();
  const totalWidth = CHECK_WIDTH + cols.reduce((n, c) => n + c.width, 0);
  const allSelected = props.runs.length > 0 && props.runs.every((r) => props.selected.has(r.id));

  const { hasMore, onLoadMore } = props;
  useEffect(() => {
    if (hasMore && win.end + LOAD_AHEAD >= props.runs.length) onLoadMore();
  }, [hasMore, onLoadMore, win.end, props.runs.length]);

  const groups = [
    { id: 'run', label: '', span: 4 },
    { id: 'metrics', label: 'Metrics', span: props.metricKeys.length },
    { id: 'params', label: 'Params', span: props.paramKeys.length },
  ].filter((g) => g.span > 0);

  const header = (c: Column) => {
    const active = c.sortKey !== undefined && props.sort.key === c.sortKey;
    const mark = active ? (props.sort.desc ? '▼' : '▲') : '';
    return (
      <th
        key={c.id}
        className={`${c.num ? 'num' : ''} ${c.group !== 'run' ? `col-${c.group}` : ''}`}
        aria-sort={active ? (props.sort.desc ? 'descending' : 'ascending') : undefined}
        title={c.sortKey ? `Sort by ${c.sortKey}` : 'Not sortable: the server has no duration order'}
      >
        {c.sortKey ? (
          <button
            type="button"
            className="sort-button"
            onClick={() =>
              props.onSort({ key: c.sortKey!, desc: active ? !props.sort.desc : Boolean(c.firstDesc) })
            }
          >
            <span className="col-label">{c.label}</span>
            <span className="sort-mark">{mark}</span>
          </button>
        ) : (
          <span className="th-plain">{c.label}</span>
        )}
      </th>
    );
  };

  return (
    <div className="runs-scroller" ref={scroller} data-testid="runs-scroller">
      <table
        className="grid grid-hover runs-table"
        style={{ width: `max(${totalWidth}px, 100%)` }}
        data-testid="runs-table"
      >
        <colgroup>
          <col style={{ width: CHECK_WIDTH }} />
          {cols.map((c) => (
            <col key={c.id} style={{ width: c.width }} />
          ))}
        </colgroup>
        <thead>
          {groups.length > 1 && (
            <tr className="group-row">
              <th />
              {groups.map((g) => (
                <th key={g.id} colSpan={g.span} className={g.id !== 'run' ? `col-${g.id}` : ''}>
                  {g.label}
                </th>
              ))}
            </tr>
          )}
          <tr>
            <th className="check">
              <input
                type="checkbox"
                aria-label="Select all loaded runs"
                checked={allSelected}
                onChange={() => props.onToggleAll(!allSelected)}
              />
            </th>
            {cols.map(header)}
          </tr>
        </thead>
        <tbody>
          {win.before > 0 && <tr className="spacer-row" style={{ height: win.before }} />}
          {props.runs.slice(win.start, win.end).map((r) => {
            const selected = props.selected.has(r.id);
            return (
              <tr
                key={r.id}
                className={selected ? 'clickable selected' : 'clickable'}
                style={{ height: ROW_HEIGHT }}
                data-testid="run-row"
                data-run={r.id}
                onClick={() => navigate({ page: 'run', id: r.id })}
              >
                <td className="check" onClick={(e) => e.stopPropagation()}>
                  <input
                    type="checkbox"
                    aria-label={`Select ${r.name}`}
                    checked={selected}
                    onChange={() => props.onToggle(r.id)}
                  />
                </td>
                {colWin.start > 0 && <td colSpan={colWin.start} />}
                {shownCols.map((c) => (
                  <td key={c.id} className={c.num ? 'num' : undefined} data-col={c.id} title={c.title?.(r)}>
                    {c.cell(r, now)}
                  </td>
                ))}
                {colWin.end < cols.length && <td colSpan={cols.length - colWin.end} />}
              </tr>
            );
          })}
          {win.after > 0 && <tr className="spacer-row" style={{ height: win.after }} />}
        </tbody>
      </table>
    </div>
  );
}
