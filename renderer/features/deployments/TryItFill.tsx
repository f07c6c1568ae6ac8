/**
 * Filling the try-it form: from a row pasted as a JSON record, a CSV header and row, or one line of
 * values; or with typical values (each feature's median) from a dataset version's profile. No
 * method reads one row of a dataset version yet, so a row is pasted rather than picked by index.
 */
import { useState } from 'react';
import type { ModelVersion } from '../../../shared/registry.ts';
import { api } from '../../api/hooks.ts';
import {
  DatasetSelect,
  useVersionNumbers,
  VersionSelect,
} from '../../components/form/DatasetVersionSelect.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { valuesFromPaste, valuesFromProfile } from './tryItRequest.ts';

export function TryItFill(props: {
  version: ModelVersion;
  columns: string[];
  onFill(values: Record<string, string>): void;
}) {
  const [paste, setPaste] = useState('');
  const [pasteError, setPasteError] = useState<string | null>(null);
  const trainedOn = props.version.lineage?.datasets[0];
  const datasets = api.datasets.list.useQuery({});
  const [dataset, setDataset] = useState(trainedOn?.dataset ?? '');
  const [dsVersion, setDsVersion] = useState<number | null>(trainedOn?.version ?? null);
  const versions = useVersionNumbers(dataset);
  const profile = api.datasets.profile.useMutation();
  const [profileNote, setProfileNote] = useState<string | null>(null);
  return (
    <details className="try-fill" data-testid="try-fill">
      <summary>Fill from a row or a dataset</summary>
      <div className="try-fill-body">
        <div className="try-fill-part">
          <label className="field field-wide">
            <span className="form-label">Paste a row</span>
            <textarea
              className="input mono"
              aria-label="Pasted row"
              rows={3}
              value={paste}
              placeholder={`${props.columns.join(',')}\n…  or  {"${props.columns[0] ?? 'feature'}": …}`}
              onChange={(e) => setPaste(e.target.value)}
            />
            {pasteError ? (
              <span className="field-error">{pasteError}</span>
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
              if ('error' in r) setPasteError(r.error);
              else {
                setPasteError(null);
                props.onFill(r.values);
              }
            }}
          >
            Fill from the row
          </button>
        </div>
        <div className="try-fill-part">
          <div className="inline-form">
            <DatasetSelect
              aria="Fill dataset"
              names={(datasets.data ?? []).map((d) => d.name)}
              value={dataset}
              onChange={(n) => {
                setDataset(n);
                setDsVersion(null);
              }}
              empty={{ text: 'Choose a dataset' }}
            />
            <VersionSelect
              aria="Fill dataset version"
              numbers={versions.numbers}
              value={dsVersion}
              onChange={setDsVersion}
              latest
            />
            <button
              type="button"
              className="btn btn-small"
              disabled={!dataset || profile.isPending}
              title="Each feature's median in the dataset version's profile"
              onClick={() =>
                profile.mutate(
                  { name: dataset, version: dsVersion ?? undefined },
                  {
                    onSuccess: (p) => {
                      const { values, missing } = valuesFromProfile(props.columns, p.tables);
                      props.onFill(values);
                      setProfileNote(
                        missing.length
                          ? `${dataset}@${p.version} has no numeric ${missing.join(', ')}: fill ${missing.length === 1 ? 'it' : 'them'} by hand.`
                          : `Filled with the medians of ${dataset}@${p.version}.`,
                      );
                    },
                  },
                )
              }
            >
              {profile.isPending ? 'Reading…' : 'Fill with typical values'}
            </button>
          </div>
          {profileNote && <p className="muted small">{profileNote}</p>}
          <ErrorNotice error={profile.error} title="The dataset could not be read." />
        </div>
      </div>
    </details>
  );
}
