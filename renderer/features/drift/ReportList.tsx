/**
 * Stored drift reports, newest first, optionally only those on one dataset. Any two can be
 * selected and compared; a row opens its report.
 */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatAgo, formatCount, formatDate } from '../../format.ts';
import { InputName } from './InputName.tsx';
import './ReportView.css';

export function ReportList(props: {
  openId?: string;
  onOpen: (id: string) => void;
  onCompare: (a: string, b: string) => void;
}) {
  const [dataset, setDataset] = useState('');
  const [selected, setSelected] = useState<string[]>([]);
  const datasets = api.datasets.list.useQuery({});
  const reports = api.drift.reports.useQuery(dataset ? { dataset } : {});
  const rows = reports.data ?? [];
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id].slice(-2)));
  const compare = () => {
    // Older report on the left, as A.
    const [a, b] = rows.filter((r) => selected.includes(r.id)).reverse();
    if (a && b) props.onCompare(a.id, b.id);
  };

  return (
    <section className="card card-flush" data-testid="drift-reports" aria-label="Stored reports">
      <header className="card-header">
        <h3>Stored reports</h3>
        <label className="inline-form">
          <span className="form-label">Dataset</span>
          <select
            className="input"
            aria-label="Filter reports by dataset"
            value={dataset}
            onChange={(e) => {
              setDataset(e.target.value);
              setSelected([]);
            }}
          >
            <option value="">All datasets and files</option>
            {datasets.data?.map((d) => (
              <option key={d.id}>{d.name}</option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn btn-small"
          disabled={selected.length !== 2}
          title={selected.length === 2 ? undefined : 'Select two reports to compare'}
          onClick={compare}
        >
          Compare selected{selected.length > 0 ? ` (${selected.length}/2)` : ''}
        </button>
      </header>
      <ErrorNotice
        error={reports.error}
        title="The reports could not be listed."
        onRetry={() => void reports.refetch()}
      />
      {reports.isPending ? (
        <Loading />
      ) : rows.length === 0 && !reports.error ? (
        <div className="card-empty">
          <EmptyState title={dataset ? `No reports on ${dataset} yet` : 'No reports yet'}>
            {dataset
              ? `Run a check above with a version of ${dataset} as reference or current.`
              : 'Run a check above: each check is stored here with what it compared.'}
          </EmptyState>
        </div>
      ) : (
        <table className="grid grid-hover" data-testid="drift-report-list">
          <thead>
            <tr>
              <th className="check" aria-label="Select" />
              <th>When</th>
              <th>Reference</th>
              <th>Current</th>
              <th>Preset</th>
              <th>Dataset drift</th>
              <th className="num">Drifted / tested</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.id}
                className={r.id === props.openId ? 'clickable selected' : 'clickable'}
                data-testid="drift-report-row"
                onClick={() => props.onOpen(r.id)}
              >
                <td className="check" onClick={(e) => e.stopPropagation()}>
                  <input
                    type="checkbox"
                    aria-label={`Select report of ${formatDate(r.createdAt)}`}
                    checked={selected.includes(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                </td>
                <td title={formatDate(r.createdAt)}>{formatAgo(r.createdAt)}</td>
                <td>
                  <InputName identity={r.reference} />
                </td>
                <td>
                  <InputName identity={r.current} />
                </td>
                <td>{r.preset ?? <span className="muted">—</span>}</td>
                <td>
                  {r.datasetDrift ? (
                    <span className="pill pill-drift">Drift</span>
                  ) : (
                    <span className="pill pill-ok">No drift</span>
                  )}
                </td>
                <td className="num">
                  {formatCount(r.drifted)} / {formatCount(r.tested)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
