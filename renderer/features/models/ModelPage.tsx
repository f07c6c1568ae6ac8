/**
 * One registered model: its versions, its aliases with the history of every move, the gates that
 * guard them, moving an alias (through its gate), the versions' evaluations side by side, and
 * deploying it (by its alias, or its newest version).
 */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { GateRules } from '../../components/GateRules.tsx';
import { ErrorNotice, Unread } from '../../components/Notice.tsx';
import { formatAgo, formatDate } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { DeployButton } from '../deployments/DeployButton.tsx';
import { FollowedDeployments } from '../deployments/FollowedDeployments.tsx';
import { AboutCard } from './AboutCard.tsx';
import { AliasChips } from './AliasChips.tsx';
import { EvaluationComparison } from './EvaluationComparison.tsx';
import { GateForm } from './GateForm.tsx';
import './models.css';

export function ModelPage(props: { name: string }) {
  const q = api.models.get.useQuery({ name: props.name });
  const removeGate = api.models.removeGate.useMutation();
  const removeAlias = api.models.removeAlias.useMutation();
  if (!q.data)
    return (
      <Unread query={q} title="This model could not be read." breadcrumb={<Breadcrumb name={props.name} />} />
    );
  const { model, versions, history, gates, evaluations } = q.data;
  const aliases = Object.entries(model.aliases);
  return (
    <div className="page model-page">
      <Breadcrumb name={model.name} />
      <header className="page-header">
        <div>
          <h1>{model.name}</h1>
          <p className="muted">
            {versions.length} version{versions.length === 1 ? '' : 's'} · updated{' '}
            <span title={formatDate(model.updatedAt)}>{formatAgo(model.updatedAt)}</span>
            {model.description && ` · ${model.description}`}
          </p>
        </div>
        <div className="button-row">
          {aliases.length > 0 && <AliasChips name={model.name} aliases={model.aliases} />}
          {model.latestVersion !== null && (
            // An alias names the version to use, so it is proposed first; else the newest version.
            <DeployButton
              model={model.name}
              target={
                aliases.length > 0
                  ? {
                      kind: 'alias',
                      alias: model.aliases.champion !== undefined ? 'champion' : aliases[0]![0],
                    }
                  : { kind: 'version', version: model.latestVersion }
              }
              primary
            />
          )}
        </div>
      </header>
      {/* A refetch that failed (the model renamed or deleted elsewhere) is said over the old data. */}
      <ErrorNotice
        error={q.error}
        title="This model could not be read again."
        onRetry={() => void q.refetch()}
      />
      <ErrorNotice error={removeGate.error ?? removeAlias.error} />

      <div className="card card-flush">
        <div className="card-header">
          <h3>Versions</h3>
        </div>
        {versions.length === 0 ? (
          <p className="muted card-empty">
            No versions: register one from a finished run (its page has <strong>Register model</strong>).
          </p>
        ) : (
          <table className="grid grid-hover" data-testid="versions-table">
            <thead>
              <tr>
                <th>Version</th>
                <th>Aliases</th>
                <th>Task</th>
                <th>Run</th>
                <th>Trained on</th>
                <th>Registered</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr
                  key={v.version}
                  className="clickable"
                  data-testid="version-row"
                  onClick={() => navigate({ page: 'model-version', name: v.name, version: v.version })}
                >
                  <td className="strong">
                    <a href={href({ page: 'model-version', name: v.name, version: v.version })}>
                      v{v.version}
                    </a>
                  </td>
                  <td>{v.aliases.join(', ') || <span className="muted">—</span>}</td>
                  <td>{v.task ?? <span className="muted">unknown</span>}</td>
                  <td className="mono small">
                    {v.runId ? (
                      <a href={href({ page: 'run', id: v.runId })} onClick={(e) => e.stopPropagation()}>
                        {v.lineage?.runName ?? v.runId}
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="small">
                    {v.lineage?.datasets.map((d) => `${d.dataset}@${d.version}`).join(', ') || '—'}
                  </td>
                  <td title={formatDate(v.createdAt)}>{formatAgo(v.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <div className="model-columns">
        <div className="model-stack">
          <MoveAliasCard name={model.name} versions={versions.map((v) => v.version)} />
          <AboutCard name={model.name} description={model.description} tags={model.tags} />
          <div className="card">
            <div className="card-header">
              <h3>Gates</h3>
            </div>
            {gates.length === 0 ? (
              <p className="muted">
                No gate: any version can take any alias. A gate sets the rules (e.g.{' '}
                <code>accuracy &gt;= 0.9</code>, <code>f1 &gt;= champion.f1 - 0.01</code>) a version must pass
                on a dataset first.
              </p>
            ) : (
              <ul className="plain-list" data-testid="gates">
                {gates.map((g) => (
                  <li key={g.alias}>
                    <strong>{g.alias}</strong> on {g.dataset}
                    {g.datasetVersion ? `@${g.datasetVersion}` : ' (latest)'}
                    {g.path ? `:${g.path}` : ''}, label <span className="mono">{g.label}</span>:{' '}
                    <span className="mono">{g.rules.map((r) => r.text).join('; ')}</span>{' '}
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`Remove the gate on ${g.alias}`}
                      onClick={() => removeGate.mutate({ name: model.name, alias: g.alias })}
                    >
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <GateForm name={model.name} />
          </div>
        </div>
        <div className="card card-flush">
          <div className="card-header">
            <h3>Aliases and their history</h3>
          </div>
          {aliases.length > 0 && (
            <ul className="plain-list alias-list" data-testid="aliases">
              {aliases.map(([alias, version]) => (
                <li key={alias}>
                  <strong>{alias}</strong> → v{version}{' '}
                  <button
                    type="button"
                    className="btn btn-small"
                    aria-label={`Remove the alias ${alias}`}
                    onClick={() => removeAlias.mutate({ name: model.name, alias })}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          {history.length === 0 ? (
            <p className="muted card-empty">No alias has been set yet.</p>
          ) : (
            <table className="grid grid-compact" data-testid="alias-history">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Alias</th>
                  <th>Move</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {history.map((h, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: history rows are append-only and shown newest first.
                  <tr key={i}>
                    <td title={formatDate(h.at)}>{formatAgo(h.at)}</td>
                    <td className="strong">{h.alias}</td>
                    <td className="mono">
                      {h.from === null ? '—' : `v${h.from}`} → {h.to === null ? 'removed' : `v${h.to}`}
                    </td>
                    <td>
                      {h.kind === 'gate' ? 'gate passed' : h.kind}
                      {h.reason ? `: ${h.reason}` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>

      <EvaluationComparison evaluations={evaluations} />
    </div>
  );
}

/** Point an alias at a version: through its gate, or forced with a reason that is recorded. */
export function MoveAliasCard(props: { name: string; versions: number[]; version?: number }) {
  const [version, setVersion] = useState<number | null>(props.version ?? props.versions[0] ?? null);
  const [alias, setAlias] = useState('champion');
  const [force, setForce] = useState(false);
  const [reason, setReason] = useState('');
  // A long method: a gate may evaluate two versions, with progress, and can be cancelled.
  const move = api.models.setAlias.useOperation();
  const running = move.state.status === 'running';
  const outcome = move.state.status === 'succeeded' ? move.state.result : undefined;
  return (
    <div className="card" data-testid="move-alias">
      <div className="card-header">
        <h3>Set an alias</h3>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (version === null) return;
          void move.start({
            name: props.name,
            version,
            alias: alias.trim(),
            force,
            reason: force ? reason : undefined,
          });
        }}
      >
        {props.version === undefined && (
          <label className="field field-narrow">
            <span className="form-label">Version</span>
            <select
              className="input"
              aria-label="Version to alias"
              value={version ?? ''}
              onChange={(e) => setVersion(Number(e.target.value))}
            >
              {props.versions.map((v) => (
                <option key={v} value={v}>
                  v{v}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="field">
          <span className="form-label">Alias</span>
          <input
            className="input"
            aria-label="Alias"
            value={alias}
            onChange={(e) => setAlias(e.target.value)}
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force past
          the gate
        </label>
        {force && (
          <label className="field field-wide">
            <span className="form-label">Reason (recorded)</span>
            <input
              className="input"
              aria-label="Reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="why this version, despite its gate"
            />
          </label>
        )}
        {running ? (
          <button type="button" className="btn" onClick={move.cancel}>
            Cancel
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={version === null || !alias.trim()}>
            Set alias
          </button>
        )}
      </form>
      {move.state.status === 'running' && (
        <p className="muted small" role="status">
          Checking the gate
          {move.state.progress?.total
            ? `: ${move.state.progress.done.toLocaleString()} of ${move.state.progress.total.toLocaleString()} rows`
            : '…'}
        </p>
      )}
      <ErrorNotice error={move.state.status === 'failed' ? move.state.error : null} />
      {outcome && (
        <div
          className={outcome.moved ? 'notice notice-info' : 'notice notice-error'}
          role={outcome.moved ? 'status' : 'alert'}
          data-testid="alias-outcome"
        >
          <div className="notice-text">
            {outcome.moved ? (
              <strong>
                {alias} → v{outcome.to}
                {outcome.kind === 'gate'
                  ? ': the gate passed.'
                  : outcome.kind === 'forced'
                    ? ' (forced).'
                    : '.'}
              </strong>
            ) : outcome.gate ? (
              <strong>
                The gate refused v{outcome.to}: {alias} stays at{' '}
                {outcome.from === null ? 'no version' : `v${outcome.from}`}.
              </strong>
            ) : (
              <strong>
                {alias} already points at v{outcome.to}.
              </strong>
            )}
            {outcome.gate && <GateRules gate={outcome.gate} />}
            <FollowedDeployments followed={outcome.followed} to={outcome.to} />
          </div>
        </div>
      )}
    </div>
  );
}

function Breadcrumb(props: { name: string }) {
  return (
    <nav className="breadcrumb">
      <a href={href({ page: 'models' })}>Models</a>
      <span>/</span>
      <span>{props.name}</span>
    </nav>
  );
}
