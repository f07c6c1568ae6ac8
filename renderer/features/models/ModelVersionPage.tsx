/**
 * One model version: its signature and feature spec, its lineage (run → recipe → image → data →
 * params and seed, every link opening), its evaluations with their charts, and its actions
 * (deploy, package, evaluate on a dataset, set an alias, delete).
 */
import { useState } from 'react';
import type { EvaluationResult } from '../../../shared/evaluation.ts';
import type { ModelVersion } from '../../../shared/registry.ts';
import { api } from '../../api/hooks.ts';
import {
  DatasetSelect,
  useVersionNumbers,
  VersionSelect,
} from '../../components/form/DatasetVersionSelect.tsx';
import { TextField } from '../../components/form/TextField.tsx';
import { ErrorNotice, Unread } from '../../components/Notice.tsx';
import { formatAgo, formatBytes, formatDate, formatJsonNumber } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { DeployButton } from '../deployments/DeployButton.tsx';
import { AboutCard } from './AboutCard.tsx';
import { EvaluationCharts } from './EvaluationCharts.tsx';
import { MoveAliasCard } from './ModelPage.tsx';
import './models.css';

export function ModelVersionPage(props: { name: string; version: number }) {
  const q = api.models.version.useQuery({ name: props.name, version: props.version });
  const remove = api.models.deleteVersion.useMutation();
  const pack = api.models.package.useOperation();
  if (!q.data)
    return (
      <Unread
        query={q}
        title="This version could not be read."
        breadcrumb={<Breadcrumb name={props.name} version={props.version} />}
      />
    );
  const { version: v, evaluations } = q.data;
  return (
    <div className="page model-version-page">
      <Breadcrumb name={v.name} version={v.version} />
      <header className="page-header">
        <div>
          <h1>
            {v.name} <span className="muted">v{v.version}</span>
          </h1>
          <p className="muted">
            {v.task ?? 'task unknown'} · {formatBytes(v.size)} · registered{' '}
            <span title={formatDate(v.createdAt)}>{formatAgo(v.createdAt)}</span> ·{' '}
            <span className="mono small" title={v.sha256}>
              sha256 {v.sha256.slice(0, 12)}
            </span>
            {v.aliases.length > 0 && ` · ${v.aliases.join(', ')}`}
          </p>
        </div>
        <div className="button-row">
          <DeployButton model={v.name} target={{ kind: 'version', version: v.version }} primary />
          {pack.state.status === 'running' ? (
            <button type="button" className="btn" onClick={pack.cancel}>
              Cancel packaging
            </button>
          ) : (
            <button
              type="button"
              className="btn"
              title="Builds an image that serves this version (offline, from the local base image)"
              onClick={() => void pack.start({ name: v.name, version: v.version })}
            >
              Package image
            </button>
          )}
          <button
            type="button"
            className="btn"
            disabled={v.aliases.length > 0 || remove.isPending}
            title={
              v.aliases.length ? 'An aliased version cannot be deleted: move its aliases first.' : undefined
            }
            onClick={() => {
              if (window.confirm(`Delete ${v.name} v${v.version}? Its evaluations go with it.`))
                remove.mutate(
                  { name: v.name, version: v.version },
                  { onSuccess: () => navigate({ page: 'model', name: v.name }) },
                );
            }}
          >
            Delete version
          </button>
        </div>
      </header>
      <ErrorNotice
        error={q.error}
        title="This version could not be read again."
        onRetry={() => void q.refetch()}
      />
      <ErrorNotice error={remove.error} />
      {pack.state.status === 'running' && (
        <p className="muted small" role="status">
          Packaging: {pack.state.progress?.message ?? pack.state.progress?.phase ?? 'starting'}…
        </p>
      )}
      {pack.state.status === 'failed' && (
        <ErrorNotice error={pack.state.error} title="The image was not built." />
      )}
      {pack.state.status === 'succeeded' && (
        <div className="notice notice-info" role="status" data-testid="packaged">
          <div className="notice-text">
            <strong>{pack.state.result.reused ? 'Already packaged: ' : 'Packaged: '}</strong>
            <span className="mono">{pack.state.result.image}</span> (
            {formatBytes(pack.state.result.sizeBytes)})
          </div>
        </div>
      )}

      <Lineage version={v} />

      <div className="model-columns">
        <div className="model-stack">
          <SignatureCard version={v} />
          <AboutCard name={v.name} version={v.version} description={v.description} tags={v.tags} />
        </div>
        <div className="model-stack">
          <MoveAliasCard name={v.name} versions={[v.version]} version={v.version} />
          <EvaluateCard version={v} />
        </div>
      </div>

      <div className="card">
        <div className="card-header">
          <h3>Evaluations</h3>
        </div>
        {evaluations.length === 0 ? (
          <p className="muted">Not evaluated yet: evaluate it on a dataset above.</p>
        ) : (
          evaluations.map((e) => (
            <section key={e.id} className="evaluation" data-testid="evaluation">
              <h4>
                On {e.dataset}@{e.datasetVersion}:{e.path} · label <span className="mono">{e.label}</span>{' '}
                <span className="muted small" title={formatDate(e.createdAt)}>
                  {formatAgo(e.createdAt)}
                </span>
              </h4>
              <table className="grid grid-compact kv-table">
                <tbody>
                  {Object.entries(e.metrics).map(([k, value]) => (
                    <tr key={k}>
                      <td className="mono">{k}</td>
                      <td className="num" data-testid={`metric-${k}`}>
                        {formatJsonNumber(value)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {e.details ? <EvaluationCharts result={e.details as EvaluationResult} /> : null}
            </section>
          ))
        )}
      </div>
    </div>
  );
}

function Lineage(props: { version: ModelVersion }) {
  const l = props.version.lineage;
  if (!l)
    return (
      <div className="card">
        <p className="muted">No lineage: this version was not made from a run the workbench recorded.</p>
      </div>
    );
  const params = Object.entries(l.params);
  return (
    <div className="card" data-testid="lineage">
      <div className="card-header">
        <h3>Lineage</h3>
      </div>
      <div className="lineage" title="The run, and what it was made from">
        <div className="lineage-step">
          <span className="form-label">Run</span>
          <a href={href({ page: 'run', id: l.runId })}>{l.runName}</a>
        </div>
        <span className="lineage-arrow">←</span>
        <div className="lineage-step">
          <span className="form-label">Recipe</span>
          <a
            href={href({ page: 'run', id: l.runId })}
            title="The run's page shows the recipe snapshot it ran"
          >
            {l.recipeName ?? '—'}
          </a>{' '}
          {l.recipeDigest && (
            <span className="mono small" title={l.recipeDigest}>
              {l.recipeDigest.slice(0, 12)}
            </span>
          )}
        </div>
        <div className="lineage-step">
          <span className="form-label">Image</span>
          {l.image ?? '—'}{' '}
          {l.imageDigest && (
            <span className="mono small" title={l.imageDigest}>
              {l.imageDigest.slice(0, 19)}
            </span>
          )}
        </div>
        <div className="lineage-step">
          <span className="form-label">Data</span>
          {l.datasets.length === 0
            ? '—'
            : l.datasets.map((d) => (
                <div key={d.channel}>
                  {d.channel}={' '}
                  <a href={href({ page: 'version', name: d.dataset, version: d.version })}>
                    {d.dataset}@{d.version}
                  </a>{' '}
                  <span className="mono small" title={d.digest}>
                    {d.digest.slice(0, 12)}
                  </span>
                </div>
              ))}
        </div>
        <div className="lineage-step">
          <span className="form-label">Params and seed</span>
          <span className="mono small">
            {params.map(([k, x]) => `${k}=${x}`).join(' ') || '—'} · seed {l.seed ?? '—'}
          </span>
        </div>
      </div>
    </div>
  );
}

function SignatureCard(props: { version: ModelVersion }) {
  const v = props.version;
  return (
    <div className="card card-flush" data-testid="signature">
      <div className="card-header">
        <h3>Signature and features</h3>
      </div>
      <table className="grid grid-compact">
        <thead>
          <tr>
            <th>Tensor</th>
            <th>Type</th>
            <th>Shape</th>
            <th>Features</th>
          </tr>
        </thead>
        <tbody>
          {v.inputs.map((t) => (
            <tr key={`in-${t.name}`}>
              <td className="mono">in: {t.name}</td>
              <td className="mono">{t.type}</td>
              <td className="mono">[{t.shape.join(', ')}]</td>
              <td className="small" data-testid="feature-spec">
                {(v.features[t.name] ?? []).join(', ')}
              </td>
            </tr>
          ))}
          {v.outputs.map((t) => (
            <tr key={`out-${t.name}`}>
              <td className="mono">out: {t.name}</td>
              <td className="mono">{t.type}</td>
              <td className="mono">[{t.shape.join(', ')}]</td>
              <td className="small muted">
                {v.classes && t.shape.at(-1) === v.classes.length ? `classes: ${v.classes.join(', ')}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {v.label && (
        <p className="muted small card-empty">
          Trained to predict <span className="mono">{v.label}</span>.
        </p>
      )}
    </div>
  );
}

function EvaluateCard(props: { version: ModelVersion }) {
  const v = props.version;
  const datasets = api.datasets.list.useQuery({});
  const trainedOn = v.lineage?.datasets[0]?.dataset ?? '';
  const [dataset, setDataset] = useState(trainedOn);
  const [dsVersion, setDsVersion] = useState<number | null>(null);
  const [path, setPath] = useState('');
  const [label, setLabel] = useState(v.label ?? '');
  const versions = useVersionNumbers(dataset);
  const op = api.models.evaluate.useOperation();
  const running = op.state.status === 'running';
  return (
    <div className="card" data-testid="evaluate">
      <div className="card-header">
        <h3>Evaluate</h3>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void op.start({
            name: v.name,
            version: v.version,
            dataset,
            datasetVersion: dsVersion ?? undefined,
            path: path.trim() || undefined,
            label: label.trim() || undefined,
          });
        }}
      >
        <DatasetSelect
          aria="Evaluation dataset"
          names={(datasets.data ?? []).map((d) => d.name)}
          value={dataset}
          onChange={(n) => {
            setDataset(n);
            setDsVersion(null);
          }}
          empty={{ text: 'Choose a dataset' }}
        />
        <VersionSelect
          aria="Evaluation dataset version"
          numbers={versions.numbers}
          value={dsVersion}
          onChange={setDsVersion}
          latest
        />
        <TextField label="Table (if several)" value={path} onChange={setPath} mono placeholder="test.csv" />
        <TextField label="Label column" value={label} onChange={setLabel} mono />
        {running ? (
          <button type="button" className="btn" onClick={op.cancel}>
            Cancel
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!dataset}>
            Evaluate
          </button>
        )}
      </form>
      {running && (
        <p className="muted small" role="status">
          {op.state.status === 'running' && op.state.progress?.total
            ? `${op.state.progress.phase}: ${op.state.progress.done.toLocaleString()} of ${op.state.progress.total.toLocaleString()} rows`
            : 'Evaluating…'}
        </p>
      )}
      {op.state.status === 'failed' && <ErrorNotice error={op.state.error} title="The evaluation failed." />}
      {op.state.status === 'succeeded' && (
        <p className="muted small" role="status">
          Evaluated on {op.state.result.dataset}@{op.state.result.datasetVersion}:{' '}
          {Object.entries(op.state.result.metrics)
            .filter(([k]) => !k.endsWith('_weighted'))
            .map(([k, x]) => `${k} ${formatJsonNumber(x)}`)
            .join(' · ')}
        </p>
      )}
    </div>
  );
}

function Breadcrumb(props: { name: string; version: number }) {
  return (
    <nav className="breadcrumb">
      <a href={href({ page: 'models' })}>Models</a>
      <span>/</span>
      <a href={href({ page: 'model', name: props.name })}>{props.name}</a>
      <span>/</span>
      <span>v{props.version}</span>
    </nav>
  );
}
