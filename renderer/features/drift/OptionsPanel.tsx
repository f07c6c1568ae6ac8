/**
 * The options of a check, all optional: a subset of columns, a default method and threshold, the
 * drift share, the missing-share jump, and per-column overrides (type, method, threshold). Empty
 * fields keep DESIGN.md §7's defaults, which the placeholders name.
 */
import { type ReactNode, useId } from 'react';
import { driftMethods } from '../../../shared/drift.ts';
import type { ColumnOverride, FormErrors, OptionsForm } from './optionsForm.ts';
import { splitColumns } from './optionsForm.ts';
import './CheckForm.css';

const METHOD_LABELS: Record<(typeof driftMethods)[number], string> = {
  ks: 'ks: Kolmogorov–Smirnov',
  chisquare: 'chisquare: chi-square',
  z: 'z: two-proportion z-test',
  wasserstein: 'wasserstein: normed distance',
  jensenshannon: 'jensenshannon: distance',
  psi: 'psi: population stability',
  kl_div: 'kl_div: Kullback–Leibler',
  hellinger: 'hellinger: distance',
};

export function OptionsPanel(props: {
  form: OptionsForm;
  onChange: (form: OptionsForm) => void;
  errors: FormErrors;
  /** Column names known from the reference, offered as choices. */
  knownColumns: string[];
  summary: string;
  preset: ReactNode;
  open: boolean;
  onToggle: () => void;
}) {
  const { form, onChange, errors, open } = props;
  const id = useId();
  const set = (patch: Partial<OptionsForm>) => onChange({ ...form, ...patch });
  const setOverride = (i: number, patch: Partial<ColumnOverride>) =>
    set({ overrides: form.overrides.map((o, j) => (j === i ? { ...o, ...patch } : o)) });
  const chosen = splitColumns(form.columns);
  const toggleColumn = (c: string) =>
    set({ columns: (chosen.includes(c) ? chosen.filter((x) => x !== c) : [...chosen, c]).join(', ') });
  const errorCount = Object.keys(errors).length;

  return (
    <div className="options-panel" data-testid="options-panel">
      {props.preset}
      <button
        type="button"
        className="options-toggle"
        aria-expanded={open}
        aria-controls={`${id}-options`}
        onClick={props.onToggle}
      >
        <span className={open ? 'caret open' : 'caret'}>▸</span>
        <strong>Options</strong>
        <span className="muted">{props.summary}</span>
        {errorCount > 0 && !open && <span className="field-error">needs fixing</span>}
      </button>
      {open && (
        <div id={`${id}-options`} className="options-body">
          <div className="options-grid">
            <div className="field options-columns">
              <label className="form-label" htmlFor={`${id}-cols`}>
                Columns
              </label>
              <input
                id={`${id}-cols`}
                className="input"
                placeholder="Every column of the reference"
                value={form.columns}
                onChange={(e) => set({ columns: e.target.value })}
              />
              {props.knownColumns.length > 0 && (
                <span className="column-chips">
                  {props.knownColumns.map((c) => (
                    <button
                      key={c}
                      type="button"
                      className={chosen.includes(c) ? 'chip chip-toggle on' : 'chip chip-toggle'}
                      aria-pressed={chosen.includes(c)}
                      onClick={() => toggleColumn(c)}
                    >
                      {c}
                    </button>
                  ))}
                </span>
              )}
            </div>
            <div className="field">
              <label className="form-label" htmlFor={`${id}-method`}>
                Method
              </label>
              <MethodSelect
                id={`${id}-method`}
                label="Method"
                value={form.method}
                empty="Default per column"
                onChange={(m) => set({ method: m })}
              />
            </div>
            <NumberField
              label="Threshold"
              value={form.threshold}
              placeholder="The method’s default"
              error={errors.threshold}
              onChange={(v) => set({ threshold: v })}
            />
            <NumberField
              label="Drift share"
              value={form.driftShare}
              placeholder="0.5"
              error={errors.driftShare}
              onChange={(v) => set({ driftShare: v })}
            />
            <NumberField
              label="Missing-share jump"
              value={form.missingShareJump}
              placeholder="0.1"
              error={errors.missingShareJump}
              onChange={(v) => set({ missingShareJump: v })}
            />
          </div>
          <p className="muted small">
            Dataset drift when at least the drift share of tested columns drifted. Tests (ks, chisquare, z)
            drift when the p-value is under the threshold (0.05; ks also at it); distances drift at or above
            theirs (0.1).
          </p>
          <div className="overrides">
            <div className="form-label">Per-column overrides</div>
            {form.overrides.length > 0 && (
              <table className="grid grid-compact overrides-table">
                <thead>
                  <tr>
                    <th>Column</th>
                    <th>Type</th>
                    <th>Method</th>
                    <th>Threshold</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {form.overrides.map((o, i) => (
                    <OverrideRow
                      // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
                      key={i}
                      index={i}
                      value={o}
                      listId={`${id}-columns`}
                      error={errors.overrides?.[i]}
                      onChange={(patch) => setOverride(i, patch)}
                      onRemove={() => set({ overrides: form.overrides.filter((_, j) => j !== i) })}
                    />
                  ))}
                </tbody>
              </table>
            )}
            <datalist id={`${id}-columns`}>
              {props.knownColumns.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
            <div>
              <button
                type="button"
                className="btn btn-small"
                onClick={() =>
                  set({ overrides: [...form.overrides, { column: '', type: '', method: '', threshold: '' }] })
                }
              >
                Add a column override
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}

function OverrideRow(props: {
  index: number;
  value: ColumnOverride;
  listId: string;
  error?: string;
  onChange: (patch: Partial<ColumnOverride>) => void;
  onRemove: () => void;
}) {
  const o = props.value;
  const n = props.index + 1;
  return (
    <>
      <tr data-testid="override-row">
        <td>
          <input
            className="input"
            aria-label={`Override ${n} column`}
            list={props.listId}
            placeholder="column"
            value={o.column}
            onChange={(e) => props.onChange({ column: e.target.value })}
          />
        </td>
        <td>
          <select
            className="input"
            aria-label={`Override ${n} type`}
            value={o.type}
            onChange={(e) => props.onChange({ type: e.target.value as ColumnOverride['type'] })}
          >
            <option value="">As detected</option>
            <option value="numerical">numerical</option>
            <option value="categorical">categorical</option>
          </select>
        </td>
        <td>
          <MethodSelect
            label={`Override ${n} method`}
            value={o.method}
            empty="As above"
            onChange={(m) => props.onChange({ method: m })}
          />
        </td>
        <td>
          <input
            className="input"
            inputMode="decimal"
            aria-label={`Override ${n} threshold`}
            placeholder="As above"
            value={o.threshold}
            onChange={(e) => props.onChange({ threshold: e.target.value })}
          />
        </td>
        <td className="actions">
          <button
            type="button"
            className="btn btn-small btn-ghost"
            aria-label={`Remove override ${n}`}
            onClick={props.onRemove}
          >
            Remove
          </button>
        </td>
      </tr>
      {props.error && (
        <tr>
          <td colSpan={5} className="field-error">
            {props.error}
          </td>
        </tr>
      )}
    </>
  );
}

function MethodSelect(props: {
  id?: string;
  label: string;
  value: OptionsForm['method'];
  empty: string;
  onChange: (m: OptionsForm['method']) => void;
}) {
  return (
    <select
      id={props.id}
      className="input"
      aria-label={props.id ? undefined : props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value as OptionsForm['method'])}
    >
      <option value="">{props.empty}</option>
      {driftMethods.map((m) => (
        <option key={m} value={m}>
          {METHOD_LABELS[m]}
        </option>
      ))}
    </select>
  );
}

function NumberField(props: {
  label: string;
  value: string;
  placeholder: string;
  error?: string;
  onChange: (v: string) => void;
}) {
  return (
    <label className="field">
      <span className="form-label">{props.label}</span>
      <input
        className="input"
        inputMode="decimal"
        aria-label={props.label}
        aria-invalid={Boolean(props.error)}
        placeholder={props.placeholder}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.error && <span className="field-error">{props.error}</span>}
    </label>
  );
}
