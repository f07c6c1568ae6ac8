/**
 * Settings: where the workbench keeps its store, the Docker engines runs can train on (the
 * default one from DOCKER_HOST or the local socket, and named ones added here), and store
 * maintenance (verify, clean up).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { ApiError } from '../api/apiError.ts';
import { api } from '../api/hooks.ts';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { StoreMaintenanceCard } from '../components/StoreMaintenanceCard.tsx';

export function SettingsPage() {
  return (
    <div className="page">
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <StoreFacts />
      <EnginesCard />
      <StoreMaintenanceCard />
    </div>
  );
}

function StoreFacts() {
  const info = api.app.info.useQuery({});
  if (!info.data) return null;
  return (
    <dl className="facts">
      <div>
        <dt>Store</dt>
        <dd className="mono">{info.data.home}</dd>
      </div>
      <div>
        <dt>Database</dt>
        <dd className="mono">{info.data.database}</dd>
      </div>
      <div>
        <dt>Schema version</dt>
        <dd>{info.data.schemaVersion}</dd>
      </div>
      <div>
        <dt>Workbench</dt>
        <dd>
          {info.data.appVersion} ({info.data.mode} mode)
        </dd>
      </div>
    </dl>
  );
}

type EngineRow = {
  name: string;
  host: string;
  tlsVerify: boolean;
  certPath?: string;
  identityFile?: string;
  isDefault: boolean;
};

function EnginesCard() {
  const ids = useId();
  const queryClient = useQueryClient();
  const engines = api.engines.list.useQuery({});
  const checking = queryClient.isFetching({ queryKey: ['engine.status'] }) > 0;
  const rows = engines.data ?? [];
  const named = rows.filter((e) => !e.isDefault);
  return (
    <section className="card card-flush engines-card" aria-labelledby={`${ids}-title`}>
      <div className="card-header">
        <h3 id={`${ids}-title`}>Engines</h3>
        <button
          type="button"
          className="btn btn-small"
          disabled={checking}
          onClick={() => void queryClient.invalidateQueries({ queryKey: ['engine.status'] })}
        >
          {checking ? 'Checking…' : 'Check status'}
        </button>
      </div>
      <p className="engines-intro muted">
        Runs train in Docker containers. The <strong>default</strong> engine is <code>DOCKER_HOST</code> or
        this machine's Docker socket.{' '}
        {named.length === 0
          ? 'To run on a bigger machine (more cores, a GPU), add its Docker engine here and pick it in New run.'
          : 'Pick a named engine in New run to train there; runs keep the engine they started on.'}
      </p>
      <ErrorNotice error={engines.error} title="The engines could not be listed." />
      {engines.isPending ? (
        <Loading>Loading engines…</Loading>
      ) : (
        <div className="table-scroll">
          <table className="grid engines-table" data-testid="engines-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Host</th>
                <th>Status</th>
                <th className="actions" aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <EngineRowView key={e.name} engine={e} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AddEngineForm />
    </section>
  );
}

function EngineRowView(props: { engine: EngineRow }) {
  const e = props.engine;
  const status = api.engine.status.useQuery(e.isDefault ? {} : { name: e.name });
  const remove = api.engines.remove.useMutation();
  const [confirming, setConfirming] = useState(false);
  return (
    <tr data-testid={`engine-row-${e.name}`}>
      <td>
        <strong>{e.name}</strong>
      </td>
      <td>
        <span className="mono">{e.host}</span>
        {e.identityFile && (
          <div className="muted small">
            {'key '}
            <span className="mono">{e.identityFile}</span>
          </div>
        )}
        {(e.tlsVerify || e.certPath) && (
          <div className="muted small">
            {e.tlsVerify ? 'TLS verified' : 'TLS not verified'}
            {e.certPath && (
              <>
                {' · certs in '}
                <span className="mono">{e.certPath}</span>
              </>
            )}
          </div>
        )}
      </td>
      <td className="engine-status-cell" data-testid="engine-status-cell">
        {status.data ? (
          status.data.reachable ? (
            <span className="engine-state">
              <span className="dot dot-ok" aria-hidden="true" />
              Reachable{status.data.version ? ` · Docker ${status.data.version}` : ''}
            </span>
          ) : (
            <>
              <span className="engine-state">
                <span className="dot dot-bad" aria-hidden="true" />
                Unreachable
              </span>
              {status.data.error && <div className="small engine-error">{status.data.error}</div>}
            </>
          )
        ) : status.error ? (
          <div className="small engine-error">{status.error.message}</div>
        ) : (
          <span className="muted">Checking…</span>
        )}
      </td>
      <td className="actions">
        {e.isDefault ? null : confirming ? (
          <fieldset className="engine-confirm" aria-label={`Remove engine ${e.name}`}>
            <span className="small" title="Runs started on it keep their record.">
              Remove {e.name}?
            </span>
            <button
              type="button"
              className="btn btn-small btn-danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate({ name: e.name })}
            >
              {remove.isPending ? 'Removing…' : 'Remove'}
            </button>
            <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </fieldset>
        ) : (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            aria-label={`Remove ${e.name}`}
            onClick={() => setConfirming(true)}
          >
            Remove…
          </button>
        )}
        {remove.error && <div className="field-error">{remove.error.message}</div>}
      </td>
    </tr>
  );
}

/** The server's complaint about one field (a zod issue's path, or a duplicate name), else null. */
function fieldErrors(error: ApiError | null): { fields: Record<string, string>; rest: ApiError | null } {
  if (!error) return { fields: {}, rest: null };
  if (error.code === 'CONFLICT') return { fields: { name: error.message }, rest: null };
  const issues = (error.details as { issues?: { path?: unknown[]; message?: string }[] } | undefined)?.issues;
  if (error.code === 'INVALID_INPUT' && Array.isArray(issues)) {
    const fields: Record<string, string> = {};
    for (const i of issues) {
      const key = String(i.path?.[0] ?? '');
      if (['name', 'host', 'tlsVerify', 'certPath', 'identityFile'].includes(key) && i.message)
        fields[key] = fields[key] ? `${fields[key]} ${i.message}` : i.message;
    }
    if (Object.keys(fields).length) return { fields, rest: null };
  }
  return { fields: {}, rest: error };
}

function AddEngineForm() {
  const ids = useId();
  const add = api.engines.add.useMutation();
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [tlsVerify, setTlsVerify] = useState(false);
  const [certPath, setCertPath] = useState('');
  const [identityFile, setIdentityFile] = useState('');
  const [added, setAdded] = useState<{ name: string; reachable: boolean; error?: string } | null>(null);
  const { fields, rest } = fieldErrors(add.error);

  // The credentials asked for follow the address: a key for ssh, certificates for tcp.
  const overSsh = host.trim().startsWith('ssh://');
  const submit = () => {
    setAdded(null);
    const params = {
      name: name.trim(),
      host: host.trim(),
      ...(overSsh
        ? identityFile.trim()
          ? { identityFile: identityFile.trim() }
          : {}
        : { tlsVerify, ...(certPath.trim() ? { certPath: certPath.trim() } : {}) }),
    };
    add.mutate(params, {
      onSuccess: (r) => {
        setAdded({ name: params.name, reachable: r.status.reachable, error: r.status.error });
        setName('');
        setHost('');
        setTlsVerify(false);
        setCertPath('');
        setIdentityFile('');
      },
    });
  };

  return (
    <form
      className="engine-add"
      aria-labelledby={`${ids}-title`}
      onSubmit={(ev) => {
        ev.preventDefault();
        submit();
      }}
    >
      <h4 id={`${ids}-title`}>Add an engine</h4>
      <div className="engine-add-fields">
        <label className="field">
          <span className="form-label">Name</span>
          <input
            className="input"
            aria-label="Engine name"
            placeholder="gpu-box"
            value={name}
            aria-invalid={fields.name !== undefined}
            onChange={(ev) => setName(ev.target.value)}
          />
          {fields.name && <span className="field-error">{fields.name}</span>}
        </label>
        <label className="field">
          <span className="form-label">Host</span>
          <input
            className="input mono"
            aria-label="Engine host"
            placeholder="tcp://gpu-box:2376"
            value={host}
            aria-invalid={fields.host !== undefined}
            onChange={(ev) => setHost(ev.target.value)}
          />
          {fields.host ? (
            <span className="field-error">{fields.host}</span>
          ) : (
            <span className="muted small">
              <code>unix:///var/run/docker.sock</code>, <code>tcp://host:2376</code> or{' '}
              <code>ssh://user@host</code>
            </span>
          )}
        </label>
        {overSsh ? (
          <label className="field">
            <span className="form-label">Identity file</span>
            <input
              className="input mono"
              aria-label="Identity file"
              placeholder="~/.ssh/id_ed25519 (optional)"
              value={identityFile}
              aria-invalid={fields.identityFile !== undefined}
              onChange={(ev) => setIdentityFile(ev.target.value)}
            />
            {fields.identityFile ? (
              <span className="field-error">{fields.identityFile}</span>
            ) : (
              <span className="muted small">
                Else the ssh agent, else ~/.ssh/id_*. The host must be in ~/.ssh/known_hosts.
              </span>
            )}
          </label>
        ) : (
          <label className="field">
            <span className="form-label">Certificate folder</span>
            <input
              className="input mono"
              aria-label="Certificate folder"
              placeholder="~/.docker/gpu-box (optional)"
              value={certPath}
              aria-invalid={fields.certPath !== undefined}
              onChange={(ev) => setCertPath(ev.target.value)}
            />
            {fields.certPath ? (
              <span className="field-error">{fields.certPath}</span>
            ) : (
              <span className="muted small">ca.pem, cert.pem, key.pem for tcp:// with TLS</span>
            )}
          </label>
        )}
      </div>
      <div className="engine-add-actions">
        {!overSsh && (
          <label className="checkbox">
            <input type="checkbox" checked={tlsVerify} onChange={(ev) => setTlsVerify(ev.target.checked)} />
            Verify TLS
          </label>
        )}
        <button
          type="submit"
          className="btn btn-primary"
          disabled={add.isPending || name.trim() === '' || host.trim() === ''}
        >
          {add.isPending ? 'Adding…' : 'Add engine'}
        </button>
        {added && (
          <span className={added.reachable ? 'small engine-added' : 'small engine-added-warn'} role="status">
            {added.reachable
              ? `Added ${added.name}; it answers.`
              : `Added ${added.name}, but it does not answer yet${added.error ? `: ${added.error}` : '.'}`}
          </span>
        )}
      </div>
      <ErrorNotice error={rest} title="The engine was not added." />
    </form>
  );
}
