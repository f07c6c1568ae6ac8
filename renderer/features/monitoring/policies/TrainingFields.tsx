/**
 * The policy dialogs' training parts: the data a new version is evaluated on (blank: the alias's
 * gate's), and, folded away, what it trains — when adding, what made the served version unless
 * named here (that default is read from the served version's lineage and said); when editing,
 * the policy's own recipe folder, data channels and params.
 */
import { api } from '../../../api/hooks.ts';
import { ChooseFolderButton } from '../../../components/ChooseFolderButton.tsx';
import { TextField } from '../../../components/form/TextField.tsx';
import { href } from '../../../router.ts';
import type { PolicyForm, PolicyFormErrors } from './policyForm.ts';
import { shortId } from './policyFormat.ts';
import '../monitoring.css';
import './policies.css';

export function TrainingFields(props: {
  served: { model: string; version: number } | null;
  /** Filled with a policy's own settings (Edit), not left blank for defaults (Add). */
  editing?: boolean;
  form: PolicyForm;
  errors: PolicyFormErrors;
  set(patch: Partial<PolicyForm>): void;
}) {
  const { form, set, errors } = props;
  const datasets = api.datasets.list.useQuery({});
  const names = (datasets.data ?? []).map((d) => d.name);
  const optional = props.editing ? '' : ' (optional)';
  return (
    <>
      <fieldset className="monitor-form-section">
        <legend>Evaluate on (optional)</legend>
        <div className="monitor-form-row monitor-form-row-3">
          <label className="field">
            <span className="form-label">Dataset</span>
            <select
              className="input"
              aria-label="Evaluation dataset"
              value={form.evalDataset}
              aria-invalid={errors.evalDataset !== undefined}
              onChange={(e) => set({ evalDataset: e.target.value })}
            >
              <option value="">the alias's gate's data</option>
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
            {errors.evalDataset && <span className="field-error">{errors.evalDataset}</span>}
          </label>
          <TextField
            label="Table (optional)"
            aria="Evaluation table"
            value={form.evalPath}
            onChange={(evalPath) => set({ evalPath })}
            placeholder="when the version holds several"
            mono
          />
          <TextField
            label="Label column (optional)"
            aria="Evaluation label"
            value={form.evalLabel}
            onChange={(evalLabel) => set({ evalLabel })}
            placeholder="the model's own label"
            mono
          />
        </div>
        <span className="muted small">
          Its newest version, each time. Blank: the data of the alias's gate; with neither, the new version is
          not evaluated and the alias moves without a check.
        </span>
      </fieldset>
      <details className="policy-advanced" data-testid="policy-advanced">
        <summary>What it trains (advanced)</summary>
        <div className="policy-advanced-body">
          {props.served && <DefaultTraining model={props.served.model} version={props.served.version} />}
          <div className="field">
            <span className="form-label">Recipe folder{optional}</span>
            <div className="inline-form">
              <input
                className="input mono"
                aria-label="Recipe folder"
                value={form.recipe}
                aria-invalid={errors.recipe !== undefined}
                placeholder={
                  props.editing ? 'the recipe folder' : 'the recipe of the run behind the served version'
                }
                onChange={(e) => set({ recipe: e.target.value })}
              />
              <ChooseFolderButton title="Choose a recipe folder" onChosen={(recipe) => set({ recipe })} />
            </div>
            {errors.recipe ? (
              <span className="field-error">{errors.recipe}</span>
            ) : (
              <span className="muted small">
                A folder with recipe.yaml, on the machine the workbench runs on.
              </span>
            )}
          </div>
          <div className="monitor-form-row">
            <LinesField
              label={`Data${optional}`}
              aria="Training data"
              value={form.datasets}
              onChange={(datasets) => set({ datasets })}
              placeholder="train=iris"
              hint="CHANNEL=DATASET, one a line; each trains on its newest version."
              error={errors.datasets}
            />
            <LinesField
              label={`Params${optional}`}
              aria="Params"
              value={form.params}
              onChange={(params) => set({ params })}
              placeholder="max_iter=200"
              hint={
                props.editing
                  ? "KEY=VALUE, one a line; one taken off takes the recipe's default."
                  : "KEY=VALUE, one a line; the others keep the run's values."
              }
              error={errors.params}
            />
          </div>
        </div>
      </details>
    </>
  );
}

/** What the policy trains unless told otherwise: what made the served version, from its lineage. */
function DefaultTraining(props: { model: string; version: number }) {
  const q = api.models.version.useQuery({ name: props.model, version: props.version });
  const lineage = q.data?.version.lineage ?? null;
  if (q.isPending) return null;
  if (!lineage)
    return (
      <p className="policy-default notice notice-warning" data-testid="policy-default">
        {props.model} v{props.version} was not trained by a recipe run here, so there is no default: name the
        recipe folder and its data.
      </p>
    );
  const params = Object.entries(lineage.params);
  return (
    <p className="policy-default" data-testid="policy-default">
      Left blank, it trains what made {props.model} v{props.version}: the recipe{' '}
      <strong>{lineage.recipeName ?? 'of its run'}</strong> of run{' '}
      <a className="mono" href={href({ page: 'run', id: lineage.runId })} title={lineage.runId}>
        {shortId(lineage.runId)}
      </a>
      , on the newest versions of{' '}
      {lineage.datasets.length
        ? lineage.datasets.map((d, i) => (
            <span key={d.channel}>
              {i > 0 && ', '}
              <code>
                {d.channel}={d.dataset}
              </code>
            </span>
          ))
        : 'no dataset'}
      , with{' '}
      {params.length ? (
        <code>{params.map(([k, v]) => `${k}=${v}`).join(' ')}</code>
      ) : (
        'the recipe’s default params'
      )}
      .
    </p>
  );
}

function LinesField(props: {
  label: string;
  aria: string;
  value: string;
  onChange(value: string): void;
  placeholder: string;
  hint: string;
  error?: string;
}) {
  return (
    <label className="field">
      <span className="form-label">{props.label}</span>
      <textarea
        className="input rules-box lines-box mono"
        aria-label={props.aria}
        aria-invalid={props.error !== undefined}
        rows={2}
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.error ? (
        <span className="field-error">{props.error}</span>
      ) : (
        <span className="muted small">{props.hint}</span>
      )}
    </label>
  );
}
