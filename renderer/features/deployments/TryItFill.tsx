/**
 * Filling the try-it form: from a row of a dataset version (its training data is proposed), picked
 * by its index; or from a row pasted as a JSON record, a CSV header and row, or one line of values.
 */
import { useState } from 'react';
import type { ModelVersion } from '../../../shared/registry.ts';
import { api } from '../../api/hooks.ts';
import {
  DatasetSelect,
  useVersionNumbers,
  VersionSelect,
} from '../../components/form/DatasetVersionSelect.tsx';
import { TextField } from '../../components/form/TextField.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { valuesFromPaste, valuesFromRecord } from './tryItRequest.ts';

export function TryItFill(props: {
  version: ModelVersion;
  columns: string[];
  onFill(values: Record<string, string>): void;
}) {
  return (
    <details className="try-fill" data-testid="try-fill">
      <summary>Fill from a dataset row or a pasted row</summary>
      <div className="try-fill-body">
        <DatasetRowFill {...props} />
        <PastedRowFill {...props} />
      </div>
    </details>
  );
}

function DatasetRowFill(props: {
  version: ModelVersion;
  columns: string[];
  onFill(values: Record<string, string>): void;
}) {
  const trainedOn = props.version.lineage?.datasets[0];
  const datasets = api.datasets.list.useQuery({});
  const [dataset, setDataset] = useState(trainedOn?.dataset ?? '');
  const [dsVersion, setDsVersion] = useState<number | null>(trainedOn?.version ?? null);
  const [path, setPath] = useState('');
  const [index, setIndex] = useState('0');
  const [note, setNote] = useState<{ text: string; bad: boolean } | null>(null);
  const versions = useVersionNumbers(dataset);
  const rows = api.datasets.rows.useMutation();
  const offset = Number(index.trim());
  const badIndex = !Number.isInteger(offset) || offset < 0;
  return (
    <div className="try-fill-part">
      <div className="inline-form">
        <DatasetSelect
          aria="Row dataset"
          names={(datasets.data ?? []).map((d) => d.name)}
          value={dataset}
          onChange={(n) => {
            setDataset(n);
            setDsVersion(null);
          }}
          empty={{ text: 'Choose a dataset' }}
        />
        <VersionSelect
          aria="Row dataset version"
          numbers={versions.numbers}
          value={dsVersion}
          onChange={setDsVersion}
          latest
        />
        <TextField label="Table (if several)" value={path} onChange={setPath} mono placeholder="test.csv" />
        <TextField
          label="Row"
          aria="Row index"
          value={index}
          onChange={setIndex}
          mono
          error={badIndex ? 'From 0.' : undefined}
        />
        <button
          type="button"
          className="btn btn-small"
          disabled={!dataset || badIndex || rows.isPending}
          onClick={() =>
            rows.mutate(
              {
                name: dataset,
                version: dsVersion ?? undefined,
                path: path.trim() || undefined,
                offset,
                limit: 1,
              },
              {
                onSuccess: (page) => {
                  const row = page.rows[0];
                  if (!row) {
                    setNote({
                      text: `${page.path} has ${formatCount(page.total)} rows: row ${offset} is past its end.`,
                      bad: true,
                    });
                    return;
                  }
                  const r = valuesFromRecord(row, props.columns);
                  if ('error' in r) return setNote({ text: `${r.error} (${page.path})`, bad: true });
                  props.onFill(r.values);
                  setNote({
                    text: `Filled from row ${offset} of ${formatCount(page.total)} in ${page.path}.`,
                    bad: false,
                  });
                },
              },
            )
          }
        >
          {rows.isPending ? 'Reading…' : 'Fill from the row'}
        </button>
      </div>
      {note && (
        <p className={note.bad ? 'field-error' : 'muted small'} data-testid="row-fill-note">
          {note.text}
        </p>
      )}
      <ErrorNotice error={rows.error} title="The row could not be read." />
    </div>
  );
}

function PastedRowFill(props: { columns: string[]; onFill(values: Record<string, string>): void }) {
  const [paste, setPaste] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="try-fill-part">
      <label className="field field-wide">
        <span className="form-label">Or paste a row</span>
        <textarea
          className="input mono"
          aria-label="Pasted row"
          rows={3}
          value={paste}
          placeholder={`${props.columns.join(',')}\n${props.columns.map(() => '…').join(',')}`}
          onChange={(e) => setPaste(e.target.value)}
        />
        {error ? (
          <span className="field-error">{error}</span>
        ) : (
          <span className="muted small">
            A JSON record, a CSV header line and a row, or one row of values in the form's order.
          </span>
        )}
      </label>
      <button
        type="button"
        className="btn btn-small"
        onClick={() => {
          const r = valuesFromPaste(paste, props.columns);
          if ('error' in r) setError(r.error);
          else {
            setError(null);
            props.onFill(r.values);
          }
        }}
      >
        Fill from the pasted row
      </button>
    </div>
  );
}
