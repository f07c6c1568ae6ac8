/** All datasets, newest activity first, with the ways to add one. */
import { api } from '../../api/hooks.ts';
import { useAddFiles } from '../../components/AddFiles.tsx';
import { Icon } from '../../components/icons.tsx';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatAgo, formatBytes, formatCount, formatDate } from '../../format.ts';
import { href, navigate } from '../../router.ts';

export function AddButtons() {
  const add = useAddFiles();
  return (
    <div className="button-row">
      <button type="button" className="btn" onClick={add.pickFiles}>
        <Icon name="file" size={15} /> Add files…
      </button>
      <button type="button" className="btn" onClick={add.pickFolder}>
        <Icon name="folder" size={15} /> Add folder…
      </button>
    </div>
  );
}

export function DatasetsPage() {
  const list = api.datasets.list.useQuery({});
  const rows = [...(list.data ?? [])].sort(
    (a, b) => (b.latestAt ?? b.createdAt) - (a.latestAt ?? a.createdAt),
  );

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Datasets</h1>
          <p className="muted">
            Versioned files and folders. Drop files anywhere on the window to add a version.
          </p>
        </div>
        <AddButtons />
      </header>
      <ErrorNotice
        error={list.error}
        title="The datasets could not be listed."
        onRetry={() => void list.refetch()}
      />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 && !list.error ? (
        <EmptyState title="No datasets yet" icon={<Icon name="drop" size={36} />}>
          <p>
            Drop files or folders anywhere on this window, or use <strong>Add files…</strong> or{' '}
            <strong>Add folder…</strong>. Each drop becomes a new version of a new or an existing dataset;
            unchanged files are stored once.
          </p>
        </EmptyState>
      ) : (
        <div className="card card-flush">
          <table className="grid grid-hover" data-testid="datasets-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Versions</th>
                <th className="num">Latest</th>
                <th className="num">Files</th>
                <th className="num">Size</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr
                  key={d.id}
                  className="clickable"
                  data-testid="dataset-row"
                  onClick={() => navigate({ page: 'dataset', name: d.name })}
                >
                  <td className="strong">
                    <a href={href({ page: 'dataset', name: d.name })}>{d.name}</a>
                  </td>
                  <td className="num">{formatCount(d.versions)}</td>
                  <td className="num">{d.latest === null ? '—' : `v${d.latest}`}</td>
                  <td className="num" data-testid="dataset-files">
                    {formatCount(d.files)}
                  </td>
                  <td className="num">{formatBytes(d.bytes)}</td>
                  <td title={formatDate(d.latestAt ?? d.createdAt)}>
                    {formatAgo(d.latestAt ?? d.createdAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
