/**
 * Saved option sets: pick one to fill the options, save the options as a named preset, delete one.
 * A preset picked and left as it is runs as that preset (the report records its name).
 */
import { useState } from 'react';
import type { DriftOptionsPatch, DriftPreset } from '../../../shared/drift.ts';
import { PresetName } from '../../../shared/drift.ts';
import { api } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { describePatch } from './optionsForm.ts';
import './CheckForm.css';

export function PresetBar(props: {
  selected: string;
  modified: boolean;
  patch: DriftOptionsPatch;
  canSave: boolean;
  onPick: (preset: DriftPreset | null) => void;
}) {
  const presets = api.drift.presets.useQuery({});
  const save = api.drift['presets.save'].useMutation();
  const remove = api.drift['presets.delete'].useMutation();
  const [naming, setNaming] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const list = presets.data ?? [];
  const chosen = list.find((p) => p.name === props.selected);
  const nameCheck = naming === null ? null : PresetName.safeParse(naming.trim());
  const nameError = nameCheck && !nameCheck.success ? nameCheck.error.issues[0]?.message : undefined;
  const overwriting = naming !== null && list.some((p) => p.name === naming.trim());

  const onSave = () => {
    if (naming === null || nameError) return;
    const name = naming.trim();
    save.mutate(
      { name, options: props.patch },
      {
        onSuccess: (preset) => {
          setNaming(null);
          props.onPick(preset);
          void presets.refetch();
        },
      },
    );
  };
  const onDelete = () =>
    remove.mutate(
      { name: props.selected },
      {
        onSuccess: () => {
          setConfirming(false);
          props.onPick(null);
          void presets.refetch();
        },
      },
    );

  return (
    <div className="preset-bar" data-testid="preset-bar">
      <label className="inline-form">
        <span className="form-label">Preset</span>
        <select
          className="input preset-select"
          aria-label="Preset"
          value={props.selected}
          onChange={(e) => props.onPick(list.find((p) => p.name === e.target.value) ?? null)}
        >
          <option value="">{list.length === 0 ? 'No presets saved yet' : 'None (options below)'}</option>
          {list.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      {chosen && !confirming && (
        <span className="muted small" title={describePatch(chosen.options)}>
          {props.modified
            ? 'changed below: runs with the options as they are'
            : describePatch(chosen.options)}
        </span>
      )}
      {chosen && !confirming && naming === null && (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setConfirming(true)}>
          Delete preset
        </button>
      )}
      {confirming && (
        <span className="inline-form">
          <span>Delete the preset “{props.selected}”? Stored reports keep its name.</span>
          <button type="button" className="btn btn-small" onClick={onDelete} disabled={remove.isPending}>
            Delete
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </span>
      )}
      <span className="spacer" />
      {naming === null ? (
        <button
          type="button"
          className="btn btn-small"
          disabled={!props.canSave}
          title={props.canSave ? undefined : 'Fix the options first'}
          onClick={() => setNaming(props.selected)}
        >
          Save as preset…
        </button>
      ) : (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            onSave();
          }}
        >
          <input
            className="input preset-name"
            aria-label="Preset name"
            placeholder="Preset name"
            aria-invalid={Boolean(nameError && naming)}
            value={naming}
            // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to name a preset
            autoFocus
            onChange={(e) => setNaming(e.target.value)}
          />
          <button
            type="submit"
            className="btn btn-small btn-primary"
            disabled={Boolean(nameError) || save.isPending}
          >
            {overwriting ? 'Replace preset' : 'Save preset'}
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setNaming(null)}>
            Cancel
          </button>
        </form>
      )}
      {naming && nameError && <p className="field-error wide">{nameError}</p>}
      {(save.error || remove.error || presets.error) && (
        <div className="wide">
          <ErrorNotice
            error={save.error ?? remove.error ?? presets.error}
            title={
              save.error ? 'The preset was not saved.' : remove.error ? 'The preset was not deleted.' : ''
            }
          />
        </div>
      )}
    </div>
  );
}
