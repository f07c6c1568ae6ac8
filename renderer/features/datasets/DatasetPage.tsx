/** One dataset: its versions, two of which can be compared, and export of any one. */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatBytes, formatCount, formatDate, plural } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { AddButtons } from './DatasetsPage.tsx';
import { ExportPanel } from './ExportPanel.tsx';

export function DatasetPage(props: { name: string }) {
  const versions = api.datasets.versions.useQuery({ name: props.name });
  const [selected, setSelected] = useState<number[]>([]);
  const [exporting, setExporting] = useState<number | null>(null);
  const rows = [...(versions.data ?? [])].sort((a, b) => b.version - a.version);
  const pair = [...selected].sort((a, b) => a - b);

  const toggle = (v: number) =>
    setSelected((prev) => (prev.includes(v) ? prev.filter((x) => x !== v) : [...prev, v].slice(-2)));

  return (
    <div className="page">
      <nav className="breadcrumb">
        <a href={href({ page: 'datasets' })}>Datasets</a>
        <span>/</span>
        <span>{props.name}</span>
      </nav>
      <header className="page-header">
        <div>
          <h1>{props.name}</h1>
          {versions.data && (
            <p className="muted">
              {plural(rows.length, 'version')}
              {rows[0] &&
                ` · latest v${rows[0].version}: ${plural(rows[0].files, 'file')}, ${formatBytes(rows[0].bytes)}`}
            </p>
          )}
        </div>
        <AddButtons />
      </header>
      <ErrorNotice
        error={versions.error}
        title="The versions could not be listed."
        onRetry={() => void versions.refetch()}
      />
      {versions.isPending && <Loading />}
      {versions.data && rows.length === 0 && (
        <EmptyState title="No versions yet">
          Drop files or folders on the window to add the first version.
        </EmptyState>
      )}
      {rows.length > 0 && (
        <>
          <div className="toolbar">
            <span className="muted">
              {pair.length === 2
                ? `Selected v${pair[0]} and v${pair[1]}`
                : 'Select two versions to compare them.'}
            </span>
            <button
              type="button"
              className="btn btn-primary"
              disabled={pair.length !== 2}
              onClick={() => navigate({ page: 'compare', name: props.name, from: pair[0], to: pair[1] })}
            >
              Compare {pair.length === 2 ? `v${pair[0]} → v${pair[1]}` : 'versions'}
            </button>
          </div>
          <div className="card card-flush">
            <table className="grid grid-hover" data-testid="versions-table">
              <thead>
                <tr>
                  <th className="check" aria-label="Select" />
                  <th>Version</th>
                  <th>Message</th>
                  <th>Created</th>
                  <th className="num">Files</th>
                  <th className="num">Size</th>
                  <th
                    className="num"
                    title="Bytes this version added to the store; the rest was already there"
                  >
                    New bytes stored
                  </th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {rows.map((v) => (
                  <tr
                    key={v.version}
                    data-testid="version-row"
                    className={selected.includes(v.version) ? 'selected' : ''}
                  >
                    <td className="check">
                      <input
                        type="checkbox"
                        aria-label={`Select version ${v.version}`}
                        checked={selected.includes(v.version)}
                        onChange={() => toggle(v.version)}
                      />
                    </td>
                    <td className="strong">
                      <a href={href({ page: 'version', name: props.name, version: v.version })}>
                        v{v.version}
                      </a>
                    </td>
                    <td className="message" title={v.message}>
                      {v.message || <span className="muted">no message</span>}
                    </td>
                    <td>{formatDate(v.createdAt)}</td>
                    <td className="num" data-testid="version-files">
                      {formatCount(v.files)}
                    </td>
                    <td className="num">{formatBytes(v.bytes)}</td>
                    <td className="num">{formatBytes(v.newBytes)}</td>
                    <td className="actions">
                      <button
                        type="button"
                        className="btn btn-ghost btn-small"
                        onClick={() => setExporting(v.version)}
                      >
                        Export…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {exporting !== null && (
        <ExportPanel
          key={exporting}
          name={props.name}
          version={exporting}
          onClose={() => setExporting(null)}
        />
      )}
    </div>
  );
}
