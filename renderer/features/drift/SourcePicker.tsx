/**
 * One side of a drift check: a dataset version (dataset → version → table file when the version
 * holds several tables) or a single file dropped on the window or picked with the file button.
 */
import { useEffect, useRef } from 'react';
import { api } from '../../api/hooks.ts';
import type { CheckInput } from '../../api/useDriftCheck.ts';
import {
  DatasetSelect,
  useVersionNumbers,
  VersionSelect,
} from '../../components/form/DatasetVersionSelect.tsx';
import { Icon } from '../../components/icons.tsx';
import { formatBytes } from '../../format.ts';
import './CheckForm.css';

export type Side = 'reference' | 'current';
export type SourceChoice =
  | { kind: 'dataset'; name: string; version: number | null; path: string | null }
  | { kind: 'file'; file: File | null };

export const TABLE_EXTENSIONS = ['.csv', '.tsv', '.tab', '.parquet', '.pq', '.jsonl', '.ndjson'];
export const isTableFile = (name: string) => TABLE_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

/** What the check is given for this side, or null while the choice is incomplete. */
export function sourceInput(c: SourceChoice): CheckInput | null {
  if (c.kind === 'file') return c.file && isTableFile(c.file.name) ? c.file : null;
  if (!c.name || !c.version || !c.path) return null;
  return `dataset:${c.name}@${c.version}:${c.path}`;
}

const TITLES: Record<Side, { title: string; hint: string }> = {
  reference: { title: 'Reference', hint: 'The data you trust: what the model was trained on.' },
  current: { title: 'Current', hint: 'The data to check against the reference.' },
};

export function SourcePicker(props: {
  side: Side;
  value: SourceChoice;
  onChange: (v: SourceChoice) => void;
  /** Files are dragged over the window: show this card as a place to drop them. */
  dragging: boolean;
}) {
  const { side, value, onChange } = props;
  const t = TITLES[side];
  const setKind = (kind: SourceChoice['kind']) =>
    onChange(kind === 'file' ? { kind, file: null } : { kind, name: '', version: null, path: null });
  return (
    <section
      className={props.dragging ? 'card source-card drop-ready' : 'card source-card'}
      data-drop-side={side}
      data-testid={`source-${side}`}
      aria-label={`${t.title} data`}
    >
      <header className="card-header">
        <h3>{t.title}</h3>
        <div className="segmented" role="radiogroup" aria-label={`${t.title} source`}>
          {(['dataset', 'file'] as const).map((kind) => (
            <label key={kind} className={value.kind === kind ? 'seg active' : 'seg'}>
              <input type="radio" checked={value.kind === kind} onChange={() => setKind(kind)} />
              {kind === 'dataset' ? 'Dataset version' : 'File'}
            </label>
          ))}
        </div>
      </header>
      <p className="muted small">{t.hint}</p>
      {props.dragging ? (
        <div className="drop-hint">
          <Icon name="drop" size={22} />
          Drop here to use the file as {side} data
        </div>
      ) : value.kind === 'dataset' ? (
        <DatasetSource side={side} value={value} onChange={onChange} />
      ) : (
        <FileSource side={side} file={value.file} onChange={(file) => onChange({ kind: 'file', file })} />
      )}
    </section>
  );
}

function DatasetSource(props: {
  side: Side;
  value: Extract<SourceChoice, { kind: 'dataset' }>;
  onChange: (v: SourceChoice) => void;
}) {
  const { side, value, onChange } = props;
  const datasets = api.datasets.list.useQuery({});
  const { numbers, query: versions } = useVersionNumbers(value.name);
  const detail = api.datasets.show.useQuery(
    { name: value.name, version: value.version ?? 1 },
    { enabled: Boolean(value.name && value.version), staleTime: Number.POSITIVE_INFINITY },
  );
  const tables = (detail.data?.entries ?? []).filter((e) => isTableFile(e.path)).map((e) => e.path);

  // Sensible defaults as data arrives: the reference one version behind the latest, the first table.
  useEffect(() => {
    if (value.name && value.version === null && numbers.length > 0) {
      const version = side === 'reference' && numbers.length > 1 ? numbers[1]! : numbers[0]!;
      onChange({ ...value, version, path: null });
    } else if (detail.data && value.path === null && tables.length > 0) {
      onChange({ ...value, path: tables[0]! });
    }
  });

  const label = side === 'reference' ? 'Reference' : 'Current';
  const noDatasets = datasets.data?.length === 0;
  return (
    <div className="source-fields">
      <DatasetSelect
        aria={`${label} dataset`}
        names={datasets.data?.map((d) => d.name) ?? []}
        value={value.name}
        disabled={noDatasets}
        empty={{ text: noDatasets ? 'No datasets yet' : 'Choose a dataset' }}
        onChange={(name) => onChange({ kind: 'dataset', name, version: null, path: null })}
      />
      <VersionSelect
        aria={`${label} version`}
        numbers={numbers}
        value={value.version}
        onChange={(version) => version !== null && onChange({ ...value, version, path: null })}
      />
      {tables.length > 1 && (
        <label className="field">
          <span className="form-label">Table</span>
          <select
            className="input mono"
            aria-label={`${label} table`}
            value={value.path ?? ''}
            onChange={(e) => onChange({ ...value, path: e.target.value })}
          >
            {tables.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
      )}
      {tables.length === 1 && <div className="source-table mono muted">{tables[0]}</div>}
      {noDatasets && (
        <p className="field-error wide">Add a dataset on the Datasets page, or use a file instead.</p>
      )}
      {detail.data && tables.length === 0 && (
        <p className="field-error wide">
          {value.name} v{value.version} holds no CSV, TSV, Parquet or JSON Lines file.
        </p>
      )}
      {(datasets.error ?? versions.error ?? detail.error) && (
        <p className="field-error wide" role="alert">
          {(datasets.error ?? versions.error ?? detail.error)?.message}
        </p>
      )}
    </div>
  );
}

function FileSource(props: { side: Side; file: File | null; onChange: (f: File | null) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const f = props.file;
  return (
    <div className="file-source">
      {f ? (
        <div className="picked-file">
          <Icon name="file" size={16} />
          <span className="mono strong">{f.name}</span>
          <span className="muted">{formatBytes(f.size)}</span>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => props.onChange(null)}>
            Remove
          </button>
        </div>
      ) : (
        <div className="drop-hint drop-hint-idle">
          <Icon name="drop" size={18} />
          Drop a CSV, TSV, Parquet or JSON Lines file here
        </div>
      )}
      {f && !isTableFile(f.name) && (
        <p className="field-error">{f.name} is not a CSV, TSV, Parquet or JSON Lines file.</p>
      )}
      <div>
        <button type="button" className="btn btn-small" onClick={() => input.current?.click()}>
          {f ? 'Choose another file…' : 'Choose a file…'}
        </button>
      </div>
      <input
        ref={input}
        type="file"
        hidden
        accept={TABLE_EXTENSIONS.join(',')}
        data-testid={`${props.side}-file-input`}
        onChange={(e) => {
          const picked = e.currentTarget.files?.[0];
          if (picked) props.onChange(picked);
          e.currentTarget.value = '';
        }}
      />
    </div>
  );
}
