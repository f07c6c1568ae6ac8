/**
 * Compare two versions of a dataset: files added, removed and modified, and for each tabular file
 * the schema changes and row changes (changed and unchanged rows need a key column).
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/hooks.ts';
import {
  DatasetSelect,
  useVersionNumbers,
  VersionSelect,
} from '../../components/form/DatasetVersionSelect.tsx';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { navigate, type Route } from '../../router.ts';
import { TableDiffCard } from './TableDiffCard.tsx';
import './datasets.css';

type CompareRoute = Extract<Route, { page: 'compare' }>;

export function ComparePage(props: { route: CompareRoute }) {
  const { name, from, to, key } = props.route;
  const datasets = api.datasets.list.useQuery({});
  const { numbers, query: versions } = useVersionNumbers(name ?? '');
  const ready = Boolean(name && from && to && from !== to);
  const diff = api.datasets.diff.useQuery(
    { name: name ?? '', from: from ?? 1, to: to ?? 1, ...(key ? { key } : {}) },
    { enabled: ready, staleTime: Number.POSITIVE_INFINITY },
  );
  const [keyDraft, setKeyDraft] = useState(key ?? '');
  useEffect(() => setKeyDraft(key ?? ''), [key]);

  const set = (patch: Partial<CompareRoute>) => navigate({ ...props.route, ...patch }, { replace: true });

  // Default to the two latest versions once a dataset is chosen.
  useEffect(() => {
    if (name && !from && !to && numbers.length >= 2) set({ from: numbers[1], to: numbers[0] });
  });

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Compare</h1>
          <p className="muted">Two versions of a dataset, side by side: files, schemas and rows.</p>
        </div>
      </header>
      <form
        className="card compare-form"
        onSubmit={(e) => {
          e.preventDefault();
          set({ key: keyDraft.trim() || undefined });
        }}
      >
        <DatasetSelect
          aria="Dataset"
          names={datasets.data?.map((d) => d.name) ?? []}
          value={name ?? ''}
          empty={{ text: 'Choose a dataset' }}
          onChange={(n) => navigate({ page: 'compare', name: n }, { replace: true })}
        />
        <VersionSelect
          className="field"
          label="From"
          aria="From"
          numbers={numbers}
          value={from ?? null}
          disabled={false}
          onChange={(v) => v !== null && set({ from: v })}
        />
        <VersionSelect
          className="field"
          label="To"
          aria="To"
          numbers={numbers}
          value={to ?? null}
          disabled={false}
          onChange={(v) => v !== null && set({ to: v })}
        />
        <label className="field">
          <span className="form-label">Key column (optional)</span>
          <input
            className="input"
            value={keyDraft}
            placeholder="e.g. id"
            onChange={(e) => setKeyDraft(e.target.value)}
            onBlur={() => set({ key: keyDraft.trim() || undefined })}
          />
        </label>
        <button type="submit" className="btn">
          Apply
        </button>
      </form>
      <ErrorNotice error={datasets.error ?? versions.error} />
      {!name && datasets.data?.length === 0 && (
        <EmptyState title="Nothing to compare yet">
          Add a dataset with at least two versions, then compare them here.
        </EmptyState>
      )}
      {name && versions.data && numbers.length < 2 && (
        <EmptyState title={`${name} has only one version`}>
          Add another version to compare it with the first.
        </EmptyState>
      )}
      {from !== undefined && from === to && (
        <div className="notice notice-info">Pick two different versions.</div>
      )}
      <ErrorNotice
        error={diff.error}
        title="The versions could not be compared."
        onRetry={() => void diff.refetch()}
      />
      {ready && diff.isPending && (
        <Loading>
          Comparing v{from} and v{to}…
        </Loading>
      )}
      {diff.data && (
        <>
          <section className="card" data-testid="files-diff">
            <header className="card-header">
              <h3>Files</h3>
              <span className="muted">{formatCount(diff.data.files.unchanged)} unchanged</span>
            </header>
            <FileList title="Added" tone="add" paths={diff.data.files.added} />
            <FileList title="Removed" tone="remove" paths={diff.data.files.removed} />
            <FileList title="Modified" tone="change" paths={diff.data.files.modified} />
            {diff.data.files.added.length +
              diff.data.files.removed.length +
              diff.data.files.modified.length ===
              0 && <p className="muted">No file was added, removed or modified.</p>}
          </section>
          {diff.data.tables.map((t) => (
            <TableDiffCard key={t.path} diff={t} keyColumn={key} />
          ))}
        </>
      )}
    </div>
  );
}

function FileList(props: { title: string; tone: 'add' | 'remove' | 'change'; paths: string[] }) {
  if (props.paths.length === 0) return null;
  return (
    <div className="file-list" data-testid={`files-${props.title.toLowerCase()}`}>
      <div className={`file-list-title tone-${props.tone}`}>
        {props.title} <span className="count">{formatCount(props.paths.length)}</span>
      </div>
      <ul>
        {props.paths.map((p) => (
          <li key={p} className="mono">
            {p}
          </li>
        ))}
      </ul>
    </div>
  );
}
