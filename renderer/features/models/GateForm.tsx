/** Setting the gate of an alias: the data it is measured on and its rules, one per line. */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import {
  DatasetSelect,
  useVersionNumbers,
  VersionSelect,
} from '../../components/form/DatasetVersionSelect.tsx';
import { TextField } from '../../components/form/TextField.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';

export function GateForm(props: { name: string }) {
  const [open, setOpen] = useState(false);
  const [alias, setAlias] = useState('champion');
  const [dataset, setDataset] = useState('');
  const [version, setVersion] = useState<number | null>(null);
  const [path, setPath] = useState('');
  const [label, setLabel] = useState('');
  const [rules, setRules] = useState('accuracy >= 0.9');
  const datasets = api.datasets.list.useQuery({});
  const versions = useVersionNumbers(dataset);
  const save = api.models.setGate.useMutation();
  if (!open)
    return (
      <div className="button-row">
        <button type="button" className="btn" onClick={() => setOpen(true)}>
          Set a gate…
        </button>
      </div>
    );
  return (
    <form
      className="gate-form"
      data-testid="gate-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(
          {
            name: props.name,
            alias: alias.trim(),
            dataset,
            datasetVersion: version ?? undefined,
            path: path.trim() || undefined,
            label: label.trim(),
            rules: rules
              .split('\n')
              .map((r) => r.trim())
              .filter(Boolean),
          },
          { onSuccess: () => setOpen(false) },
        );
      }}
    >
      <div className="inline-form">
        <TextField label="Alias" value={alias} onChange={setAlias} />
        <DatasetSelect
          aria="Gate dataset"
          names={(datasets.data ?? []).map((d) => d.name)}
          value={dataset}
          onChange={(n) => {
            setDataset(n);
            setVersion(null);
          }}
          empty={{ text: 'Choose a dataset' }}
        />
        <VersionSelect
          aria="Gate dataset version"
          numbers={versions.numbers}
          value={version}
          onChange={setVersion}
          latest
        />
        <TextField label="Table (if several)" value={path} onChange={setPath} placeholder="test.csv" mono />
        <TextField label="Label column" value={label} onChange={setLabel} placeholder="target" mono />
      </div>
      <label className="field field-wide">
        <span className="form-label">Rules, one per line</span>
        <textarea
          className="input rules-input"
          aria-label="Gate rules"
          value={rules}
          onChange={(e) => setRules(e.target.value)}
        />
        <span className="muted small">
          METRIC OP VALUE, where VALUE is a number or relative to the version holding the alias:{' '}
          <code>f1 &gt;= champion.f1 - 0.01</code>, <code>rmse &lt;= champion.rmse * 1.05</code>
        </span>
      </label>
      <ErrorNotice error={save.error} />
      <div className="button-row">
        <button
          type="submit"
          className="btn btn-primary"
          disabled={save.isPending || !dataset || !label.trim()}
        >
          Save gate
        </button>
        <button type="button" className="btn" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
