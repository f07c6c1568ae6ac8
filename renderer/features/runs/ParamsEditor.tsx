/**
 * The recipe's params as typed inputs with their defaults, and the sweep builder: any param can
 * take a list of values instead of one; the grid (or a random sample of it) is what starts.
 */
import type { Recipe } from '../../../shared/training.ts';
import { plural } from '../../format.ts';
import type { Checked, ParamInput, RunForm } from './runForm.ts';
import './NewRunDialog.css';

export function ParamsEditor(props: {
  recipe: Recipe;
  form: RunForm;
  checked: Checked;
  onChange(patch: Partial<RunForm>): void;
}) {
  const { recipe, form, checked } = props;
  const names = Object.keys(recipe.params);
  const setParam = (name: string, patch: Partial<ParamInput>) =>
    props.onChange({ params: { ...form.params, [name]: { ...form.params[name]!, ...patch } } });

  if (names.length === 0) return <p className="muted">This recipe takes no params.</p>;
  return (
    <div className="params-editor">
      <table className="params-table">
        <thead>
          <tr>
            <th>Param</th>
            <th>Value</th>
            <th className="sweep-col" title="Try several values: every combination is a run">
              Sweep
            </th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => {
            const spec = recipe.params[name]!;
            const input = form.params[name] ?? { value: '', sweep: false, values: '' };
            const error = checked.errors[`param:${name}`];
            const label = `Param ${name}`;
            return (
              <tr key={name} data-testid="param-row" data-param={name}>
                <td className="param-name">
                  <span className="mono">{name}</span> <span className="type-tag">{spec.type}</span>
                  {spec.description && <div className="muted small">{spec.description}</div>}
                </td>
                <td>
                  {input.sweep ? (
                    <input
                      className="input mono"
                      aria-label={`${label} values`}
                      value={input.values}
                      placeholder={spec.type === 'bool' ? 'true, false' : 'e.g. 0.1, 1, 10'}
                      aria-invalid={error !== undefined}
                      onChange={(e) => setParam(name, { values: e.target.value })}
                    />
                  ) : spec.type === 'bool' ? (
                    <label className="check-label">
                      <input
                        type="checkbox"
                        aria-label={label}
                        checked={input.value === 'true'}
                        onChange={(e) => setParam(name, { value: String(e.target.checked) })}
                      />
                      {input.value === 'true' ? 'true' : 'false'}
                    </label>
                  ) : (
                    <input
                      className="input mono"
                      aria-label={label}
                      value={input.value}
                      inputMode={spec.type === 'string' ? 'text' : 'decimal'}
                      placeholder={spec.default === undefined ? 'required' : String(spec.default)}
                      aria-invalid={error !== undefined}
                      onChange={(e) => setParam(name, { value: e.target.value })}
                    />
                  )}
                  {error && <div className="field-error">{error}</div>}
                </td>
                <td className="sweep-col">
                  <input
                    type="checkbox"
                    aria-label={`Sweep ${name}`}
                    checked={input.sweep}
                    onChange={(e) =>
                      setParam(name, {
                        sweep: e.target.checked,
                        values:
                          e.target.checked && spec.type === 'bool' && input.values === input.value
                            ? 'true, false'
                            : input.sweep
                              ? input.values
                              : input.value,
                      })
                    }
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {checked.sweeping && <SweepOptions form={form} checked={checked} onChange={props.onChange} />}
    </div>
  );
}

function SweepOptions(props: { form: RunForm; checked: Checked; onChange(patch: Partial<RunForm>): void }) {
  const { form, checked } = props;
  return (
    <div className="sweep-options" data-testid="sweep-options">
      <div className="segmented" role="radiogroup" aria-label="Sweep mode">
        <label className={form.mode === 'grid' ? 'seg active' : 'seg'}>
          <input
            type="radio"
            checked={form.mode === 'grid'}
            onChange={() => props.onChange({ mode: 'grid' })}
          />
          Grid
        </label>
        <label className={form.mode === 'random' ? 'seg active' : 'seg'}>
          <input
            type="radio"
            checked={form.mode === 'random'}
            onChange={() => props.onChange({ mode: 'random' })}
          />
          Random
        </label>
      </div>
      {form.mode === 'random' && (
        <label className="inline-field">
          <span className="form-label">Samples</span>
          <input
            className="input input-narrow"
            aria-label="Random samples"
            value={form.samples}
            aria-invalid={checked.errors.samples !== undefined}
            onChange={(e) => props.onChange({ samples: e.target.value })}
          />
        </label>
      )}
      <label className="inline-field">
        <span className="form-label">At most in parallel</span>
        <input
          className="input input-narrow"
          aria-label="At most in parallel"
          value={form.parallel}
          aria-invalid={checked.errors.parallel !== undefined}
          onChange={(e) => props.onChange({ parallel: e.target.value })}
        />
      </label>
      <span className="muted sweep-summary">
        {form.mode === 'random'
          ? `${plural(checked.runCount, 'run')}, drawn from a grid of ${checked.gridSize}`
          : `A grid of ${plural(checked.gridSize, 'run')}`}
      </span>
      {(checked.errors.samples || checked.errors.parallel) && (
        <div className="field-error">{checked.errors.samples ?? checked.errors.parallel}</div>
      )}
    </div>
  );
}
