/** One version: what it holds (a file tree with sizes) and, for each tabular file, its profile. */
import { TABULAR_EXTENSIONS } from '../../../shared/datasets.ts';
import { api } from '../../api/hooks.ts';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatBytes, formatDate, plural } from '../../format.ts';
import { href } from '../../router.ts';
import { FileTree } from './FileTree.tsx';
import { ProfileCard } from './ProfileCard.tsx';

const isTable = (path: string) => TABULAR_EXTENSIONS.some((ext) => path.toLowerCase().endsWith(ext));
const anchorOf = (path: string) => `table-${encodeURIComponent(path)}`;
/** A version never changes, so what was read about it stays true. */
const IMMUTABLE = { staleTime: Number.POSITIVE_INFINITY };

export function VersionPage(props: { name: string; version: number }) {
  const ref = { name: props.name, version: props.version };
  const show = api.datasets.show.useQuery(ref, IMMUTABLE);
  const tables = show.data?.entries.filter((e) => isTable(e.path)) ?? [];
  const profile = api.datasets.profile.useQuery(ref, { ...IMMUTABLE, enabled: tables.length > 0 });
  const v = show.data;

  return (
    <div className="page">
      <nav className="breadcrumb">
        <a href={href({ page: 'datasets' })}>Datasets</a>
        <span>/</span>
        <a href={href({ page: 'dataset', name: props.name })}>{props.name}</a>
        <span>/</span>
        <span>v{props.version}</span>
      </nav>
      <header className="page-header">
        <div>
          <h1>
            {props.name} <span className="muted">v{props.version}</span>
          </h1>
          {v && <p className="muted">{v.message || 'No message'}</p>}
        </div>
        {v && v.version > 1 && (
          <a
            className="btn"
            href={href({ page: 'compare', name: props.name, from: v.version - 1, to: v.version })}
          >
            Compare with v{v.version - 1}
          </a>
        )}
      </header>
      <ErrorNotice
        error={show.error}
        title="This version could not be read."
        onRetry={() => void show.refetch()}
      />
      {show.isPending && <Loading />}
      {v && (
        <>
          <dl className="facts">
            <div>
              <dt>Created</dt>
              <dd>{formatDate(v.createdAt)}</dd>
            </div>
            <div>
              <dt>Files</dt>
              <dd>{plural(v.files, 'file')}</dd>
            </div>
            <div>
              <dt>Size</dt>
              <dd>{formatBytes(v.bytes)}</dd>
            </div>
            <div>
              <dt>New bytes stored</dt>
              <dd>{formatBytes(v.newBytes)}</dd>
            </div>
            <div>
              <dt>Digest</dt>
              <dd className="mono" title={v.digest}>
                {v.digest.slice(0, 12)}…
              </dd>
            </div>
          </dl>
          <section className="card card-flush">
            <header className="card-header">
              <h3>Files</h3>
            </header>
            <FileTree entries={v.entries} isTable={isTable} anchorOf={anchorOf} />
          </section>
          <TrainedOn name={props.name} version={props.version} />
          <h2 className="section-title">Tables</h2>
          {tables.length === 0 ? (
            <EmptyState title="No tabular files">
              CSV, TSV, Parquet and JSON Lines files get a schema and a per-column profile here.
            </EmptyState>
          ) : (
            <>
              <ErrorNotice
                error={profile.error}
                title="The tables could not be profiled."
                onRetry={() => void profile.refetch()}
              />
              {profile.isPending && (
                <Loading>
                  Profiling {plural(tables.length, 'table')}… this can take a few seconds for large files.
                </Loading>
              )}
              {profile.data?.tables.map((t) => (
                <ProfileCard key={t.path} table={t} anchor={anchorOf(t.path)} />
              ))}
            </>
          )}
        </>
      )}
    </div>
  );
}

/** What was trained on this version: its runs, and the model versions registered from them. */
function TrainedOn(props: { name: string; version: number }) {
  const q = api.datasets.usedBy.useQuery({ name: props.name, version: props.version });
  if (!q.data)
    return <ErrorNotice error={q.error} title="The runs trained on this version could not be listed." />;
  const { runs, models } = q.data;
  return (
    <section className="card" data-testid="trained-on">
      <header className="card-header">
        <h3>Trained on this version</h3>
      </header>
      {runs.length === 0 && models.length === 0 ? (
        <p className="muted">
          No run has read this version yet. Start one from the Runs page with this dataset.
        </p>
      ) : (
        <div className="trained-on">
          <div>
            <span className="form-label">Runs</span>
            {runs.length === 0
              ? ' —'
              : runs.map((r) => (
                  <a key={r.id} className="trained-link" href={href({ page: 'run', id: r.id })}>
                    {r.name} <span className="muted small">{r.status.toLowerCase()}</span>
                  </a>
                ))}
          </div>
          <div>
            <span className="form-label">Model versions</span>
            {models.length === 0
              ? ' —'
              : models.map((m) => (
                  <a
                    key={`${m.name}@${m.version}`}
                    className="trained-link"
                    href={href({ page: 'model-version', name: m.name, version: m.version })}
                  >
                    {m.name} v{m.version}
                  </a>
                ))}
          </div>
        </div>
      )}
    </section>
  );
}
