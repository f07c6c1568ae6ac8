/**
 * New Run: a recipe (a shipped example or any recipe folder, checked with `recipes.inspect`), a
 * dataset version per channel, typed params with a sweep builder, resources; Start queues the runs
 * and opens the run (one) or the list (a sweep). Re-run with changes opens it pre-filled.
 */
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/hooks.ts';
import {
  DatasetSelect,
  useVersionNumbers,
  VersionSelect,
} from '../../components/form/DatasetVersionSelect.tsx';
import { TextField } from '../../components/form/TextField.tsx';
import { ModalDialog } from '../../components/ModalDialog.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { plural } from '../../format.ts';
import { navigate } from '../../router.ts';
import { EngineWarning } from './EngineUnavailable.tsx';
import { ParamsEditor } from './ParamsEditor.tsx';
import {
  type ChannelInput,
  channelKey,
  checkForm,
  initialForm,
  paramInputs,
  type RunForm,
  type RunPreset,
} from './runForm.ts';
import './NewRunDialog.css';

/**
 * The shipped examples, relative to the folder core runs in (the repository in development and
 * browser mode); `recipes.inspect` answers with the absolute folder that runs are started with.
 */
const EXAMPLES = [
  { id: 'sklearn-classifier', path: 'resources/recipes/sklearn-classifier' },
  { id: 'sklearn-regression', path: 'resources/recipes/sklearn-regression' },
] as const;
const OTHER = 'other';

function choiceFor(path: string): string {
  return EXAMPLES.find((e) => path === e.path || path.endsWith(`/${e.path}`))?.id ?? OTHER;
}

export function NewRunDialog(props: { onClose(): void; preset?: RunPreset }) {
  const preset = props.preset;

  const [choice, setChoice] = useState(() => (preset ? choiceFor(preset.recipePath) : EXAMPLES[0].id));
  const [otherPath, setOtherPath] = useState(
    preset && choiceFor(preset.recipePath) === OTHER ? preset.recipePath : '',
  );
  const [typedPath, setTypedPath] = useState(otherPath);
  // The typed path is inspected once typing pauses, not at every key.
  useEffect(() => {
    const t = setTimeout(() => setOtherPath(typedPath.trim()), 400);
    return () => clearTimeout(t);
  }, [typedPath]);
  const path = choice === OTHER ? otherPath : (EXAMPLES.find((e) => e.id === choice)?.path ?? '');

  const inspect = api.recipes.inspect.useQuery({ path }, { enabled: path !== '', staleTime: 0 });
  const recipe = inspect.data?.recipe ?? null;
  const dir = inspect.data?.dir ?? null;

  const datasets = api.datasets.list.useQuery({});
  const names = (datasets.data ?? []).map((d) => d.name);
  const [form, setForm] = useState<RunForm>(() => initialForm(null, preset));
  const engines = api.engines.list.useQuery({});
  // The warning follows the engine picked below: the default one, or a named one from Settings.
  const engine = api.engine.status.useQuery(form.engine ? { name: form.engine } : {});
  const patch = (p: Partial<RunForm>) => setForm((f) => ({ ...f, ...p }));

  // A newly inspected recipe brings its params: the earlier run's values for a re-run of the same
  // recipe, else the recipe's defaults.
  const paramsFor = useRef<string | null>(null);
  useEffect(() => {
    if (!recipe || !dir || paramsFor.current === dir) return;
    const first = paramsFor.current === null;
    paramsFor.current = dir;
    const reuse = first && preset && preset.spec.recipe.name === recipe.name ? preset.spec.params : undefined;
    setForm((f) => ({ ...f, params: paramInputs(recipe, reuse) }));
  }, [recipe, dir, preset]);

  // A fresh dialog proposes the first dataset for the `train` channel.
  useEffect(() => {
    if (preset || !names[0]) return;
    setForm((f) =>
      f.channels.length === 1 && f.channels[0]!.dataset === ''
        ? { ...f, channels: [{ ...f.channels[0]!, dataset: names[0]! }] }
        : f,
    );
  }, [preset, names[0]]);

  const checked = checkForm(dir, recipe, form);
  const start = api.runs.start.useMutation();
  const canStart = checked.request !== null && !start.isPending;

  const submit = () => {
    if (!checked.request) return;
    start.mutate(checked.request, {
      onSuccess: (r) => {
        props.onClose();
        if (r.runs.length === 1) navigate({ page: 'run', id: r.runs[0]! });
        else navigate({ page: 'runs' });
      },
    });
  };

  const setChannel = (key: number, p: Partial<ChannelInput>) =>
    patch({ channels: form.channels.map((c) => (c.key === key ? { ...c, ...p } : c)) });

  return (
    <ModalDialog
      title={preset ? 'Re-run with changes' : 'New run'}
      wide
      onClose={props.onClose}
      onSubmit={submit}
    >
      <div className="dialog-body new-run">
        {engine.data && !engine.data.reachable && (
          <EngineWarning status={engine.data} starting name={form.engine || undefined} />
        )}
        <section className="form-section">
          <h3>Recipe</h3>
          <div className="segmented" role="radiogroup" aria-label="Recipe">
            {EXAMPLES.map((e) => (
              <label key={e.id} className={choice === e.id ? 'seg active' : 'seg'}>
                <input type="radio" checked={choice === e.id} onChange={() => setChoice(e.id)} />
                {e.id}
              </label>
            ))}
            <label className={choice === OTHER ? 'seg active' : 'seg'}>
              <input type="radio" checked={choice === OTHER} onChange={() => setChoice(OTHER)} />
              Other folder…
            </label>
          </div>
          {choice === OTHER && (
            <input
              className="input mono"
              aria-label="Recipe folder"
              placeholder="/path/to/a/folder/with/recipe.yaml"
              value={typedPath}
              onChange={(e) => setTypedPath(e.target.value)}
              aria-invalid={inspect.isError}
            />
          )}
          {inspect.error && path !== '' && (
            <div className="field-error" role="alert" data-testid="recipe-error">
              {inspect.error.message}
            </div>
          )}
          {recipe && dir && (
            <div className="recipe-summary" data-testid="recipe-summary">
              <strong>{recipe.name}</strong>
              <span className="muted">
                {recipe.image ? `image ${recipe.image}` : `builds ${recipe.build}`} ·{' '}
                <span className="mono">{recipe.command.join(' ')}</span>
              </span>
              <span className="muted mono small" title={dir}>
                {dir}
              </span>
            </div>
          )}
          {inspect.isFetching && !recipe && <div className="muted">Reading recipe.yaml…</div>}
        </section>

        <section className="form-section">
          <h3>Data</h3>
          {datasets.data && names.length === 0 && (
            <p className="muted">
              No datasets yet. Add one on the Datasets page; a recipe that needs no data can run without.
            </p>
          )}
          {form.channels.map((c) => (
            <ChannelRow
              key={c.key}
              input={c}
              names={names}
              error={checked.errors[`channel:${c.key}`]}
              onChange={(p) => setChannel(c.key, p)}
              onRemove={
                form.channels.length > 1
                  ? () => patch({ channels: form.channels.filter((x) => x.key !== c.key) })
                  : undefined
              }
            />
          ))}
          <div>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() =>
                patch({
                  channels: [
                    ...form.channels,
                    {
                      key: channelKey(),
                      channel: `channel${form.channels.length + 1}`,
                      dataset: '',
                      version: null,
                    },
                  ],
                })
              }
            >
              + Add channel
            </button>
          </div>
        </section>

        {recipe && (
          <section className="form-section">
            <h3>Params</h3>
            <ParamsEditor recipe={recipe} form={form} checked={checked} onChange={patch} />
          </section>
        )}

        <section className="form-section">
          <h3>Engine</h3>
          <div className="engine-pick">
            <label className="field">
              <span className="form-label">Docker engine</span>
              <select
                className="input"
                aria-label="Engine"
                value={form.engine}
                onChange={(e) => patch({ engine: e.target.value })}
              >
                {(engines.data ?? [{ name: 'default', host: '', isDefault: true }]).map((e) => (
                  <EngineOption key={e.name} name={e.name} host={e.host} isDefault={e.isDefault} />
                ))}
                {form.engine && engines.data && !engines.data.some((e) => e.name === form.engine) && (
                  <option value={form.engine}>{form.engine} (not in Settings)</option>
                )}
              </select>
            </label>
            <span className="muted small engine-pick-hint">
              {engine.error
                ? engine.error.message
                : engine.data
                  ? `${engine.data.host}${engine.data.reachable && engine.data.version ? ` · Docker ${engine.data.version}` : ''}`
                  : ''}
              {' · '}
              <a href="#/settings">Manage in Settings</a>
            </span>
          </div>
        </section>

        <section className="form-section">
          <h3>Resources</h3>
          <div className="resource-fields">
            <TextField
              label="CPUs"
              value={form.cpus}
              placeholder={String(recipe?.resources.cpus ?? 'no limit')}
              error={checked.errors.cpus}
              onChange={(cpus) => patch({ cpus })}
            />
            <TextField
              label="Memory"
              value={form.memory}
              placeholder={recipe?.resources.memory ?? 'no limit'}
              error={checked.errors.memory}
              onChange={(memory) => patch({ memory })}
            />
            <TextField
              label="GPUs"
              value={form.gpus}
              placeholder={String(recipe?.resources.gpus ?? 0)}
              error={checked.errors.gpus}
              onChange={(gpus) => patch({ gpus })}
            />
            <TextField
              label="Seed"
              value={form.seed}
              placeholder="random"
              error={checked.errors.seed}
              onChange={(seed) => patch({ seed })}
            />
            <TextField
              label="Run name"
              value={form.name}
              placeholder="generated"
              wide
              onChange={(name) => patch({ name })}
            />
          </div>
        </section>
        <ErrorNotice error={start.error} title="Nothing was started." />
      </div>
      <footer className="dialog-footer">
        <span className="muted footer-note" data-testid="run-count">
          {recipe
            ? checked.sweeping
              ? `Starts ${plural(checked.runCount, 'run')}, at most ${form.parallel || '?'} at a time`
              : 'Starts 1 run'
            : ''}
        </span>
        <button type="button" className="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={!canStart}>
          {start.isPending
            ? 'Starting…'
            : checked.runCount > 1
              ? `Start ${checked.runCount} runs`
              : 'Start run'}
        </button>
      </footer>
    </ModalDialog>
  );
}

/** One engine in the select, with whether it answers (each checked with engine.status). */
function EngineOption(props: { name: string; host: string; isDefault: boolean }) {
  const status = api.engine.status.useQuery(props.isDefault ? {} : { name: props.name });
  const hint = status.data ? (status.data.reachable ? 'reachable' : 'unreachable') : 'checking…';
  return (
    <option value={props.isDefault ? '' : props.name}>
      {props.name} — {hint}
    </option>
  );
}

function ChannelRow(props: {
  input: ChannelInput;
  names: string[];
  error?: string;
  onChange(p: Partial<ChannelInput>): void;
  onRemove?: () => void;
}) {
  const c = props.input;
  const { numbers } = useVersionNumbers(c.dataset);
  return (
    <div className="channel-row" data-testid="channel-row">
      <label className="field channel-name">
        <span className="form-label">Channel</span>
        <input
          className="input mono"
          aria-label="Channel"
          value={c.channel}
          aria-invalid={props.error !== undefined}
          onChange={(e) => props.onChange({ channel: e.target.value })}
        />
      </label>
      <DatasetSelect
        aria={`Dataset for ${c.channel}`}
        names={props.names}
        value={c.dataset}
        empty={{ text: 'No dataset', choosable: true }}
        onChange={(dataset) => props.onChange({ dataset, version: null })}
      />
      <VersionSelect
        className="field channel-version"
        aria={`Version for ${c.channel}`}
        numbers={numbers}
        value={c.version}
        latest
        disabled={c.dataset === ''}
        onChange={(version) => props.onChange({ version })}
      />
      <div className="channel-remove">
        {props.onRemove && (
          <button
            type="button"
            className="btn btn-ghost btn-small"
            aria-label={`Remove channel ${c.channel}`}
            onClick={props.onRemove}
          >
            Remove
          </button>
        )}
      </div>
      {props.error && <div className="field-error channel-error">{props.error}</div>}
    </div>
  );
}
