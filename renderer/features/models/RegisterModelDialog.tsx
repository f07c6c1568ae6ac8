/**
 * Registering a finished run's ONNX file as the next version of a model. The feature spec comes
 * from the model's signature.json or the run's training table unless features are listed here.
 */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { TextField } from '../../components/form/TextField.tsx';
import { ModalDialog, SubmitFooter } from '../../components/ModalDialog.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { navigate } from '../../router.ts';

export function RegisterModelDialog(props: {
  runId: string;
  /** ONNX files among the run's artifacts; the first is proposed. */
  models: string[];
  suggestedName: string;
  onClose(): void;
}) {
  const models = api.models.list.useQuery({});
  const [name, setName] = useState(props.suggestedName);
  const [path, setPath] = useState(props.models[0] ?? 'model/model.onnx');
  const [features, setFeatures] = useState('');
  const [label, setLabel] = useState('');
  const register = api.models.register.useMutation();
  const existing = models.data?.find((m) => m.name === name.trim());
  return (
    <ModalDialog
      title="Register model"
      onClose={props.onClose}
      onSubmit={() => {
        register.mutate(
          {
            runId: props.runId,
            name: name.trim(),
            path,
            label: label.trim() || undefined,
            features: features.trim()
              ? features
                  .split(',')
                  .map((f) => f.trim())
                  .filter(Boolean)
              : undefined,
          },
          { onSuccess: (r) => navigate({ page: 'model-version', name: r.name, version: r.version }) },
        );
      }}
    >
      <div className="dialog-body">
        <TextField
          label="Model name"
          value={name}
          onChange={setName}
          hint={
            existing
              ? `Becomes version ${(existing.latestVersion ?? 0) + 1} of ${existing.name}.`
              : 'A new model; letters, digits, ".", "_" and "-".'
          }
        />
        <label className="field">
          <span className="form-label">Model file</span>
          <select
            className="input mono"
            aria-label="Model file"
            value={path}
            onChange={(e) => setPath(e.target.value)}
          >
            {(props.models.length ? props.models : ['model/model.onnx']).map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <TextField
          label="Features (optional)"
          value={features}
          onChange={setFeatures}
          mono
          placeholder="a,b,c"
          hint="The columns feeding the model's input, in order. Left empty: from the model's signature.json, else the training table less the label."
        />
        <TextField
          label="Label column (optional)"
          value={label}
          onChange={setLabel}
          mono
          placeholder="target"
        />
        <ErrorNotice error={register.error} title="Not registered." />
      </div>
      <SubmitFooter
        onCancel={props.onClose}
        pending={register.isPending}
        disabled={!name.trim()}
        label="Register"
        pendingLabel="Registering…"
      />
    </ModalDialog>
  );
}
