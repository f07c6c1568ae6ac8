/**
 * Settings: where the workbench keeps its store, the Docker engines runs can train on (the
 * default one from DOCKER_HOST or the local socket, and named ones added here), desktop
 * notifications of alerts, and store maintenance (verify, clean up).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../../api/hooks.ts';
import { fieldErrors } from '../../components/form/fieldErrors.ts';
import { TextField } from '../../components/form/TextField.tsx';
import { ErrorNotice, Loading } from '../../components/Notice.tsx';
import { DesktopAlertsCard } from '../notifications/DesktopAlertsCard.tsx';
import { StoreMaintenanceCard } from './StoreMaintenanceCard.tsx';
import './settings.css';

export function SettingsPage() {
  return (
    <div className="page">
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <StoreFacts />
      <EnginesCard />
      <DesktopAlertsCard />
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
  const checking = queryClient.isFetching({ queryKey: api.engine.status.key() }) > 0;
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
          onClick={() => void queryClient.invalidateQueries({ queryKey: api.engine.status.key() })}
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
            TLS, engine certificate verified
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

const ENGINE_FIELDS = ['name', 'host', 'tlsVerify', 'certPath', 'identityFile'] as const;

function AddEngineForm() {
  const ids = useId();
  const add = api.engines.add.useMutation();
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [tlsVerify, setTlsVerify] = useState(false);
  const [certPath, setCertPath] = useState('');
  const [identityFile, setIdentityFile] = useState('');
  const [added, setAdded] = useState<{ name: string; reachable: boolean; error?: string } | null>(null);
  const { fields, rest } = fieldErrors(add.error, ENGINE_FIELDS);

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
        <TextField
          label="Name"
          aria="Engine name"
          placeholder="gpu-box"
          value={name}
          onChange={setName}
          error={fields.name}
        />
        <TextField
          label="Host"
          aria="Engine host"
          placeholder="tcp://gpu-box:2376"
          mono
          value={host}
          onChange={setHost}
          error={fields.host}
          hint={
            <>
              <code>unix:///var/run/docker.sock</code>, <code>tcp://host:2376</code> or{' '}
              <code>ssh://user@host</code>
            </>
          }
        />
        {overSsh ? (
          <TextField
            label="Identity file"
            aria="Identity file"
            placeholder="~/.ssh/id_ed25519 (optional)"
            mono
            value={identityFile}
            onChange={setIdentityFile}
            error={fields.identityFile}
            hint="Else the ssh agent, else ~/.ssh/id_*. The host must be in ~/.ssh/known_hosts."
          />
        ) : (
          <TextField
            label="Certificate folder"
            aria="Certificate folder"
            placeholder="~/.docker/gpu-box (optional)"
            mono
            value={certPath}
            onChange={setCertPath}
            error={fields.certPath}
            hint="ca.pem, cert.pem, key.pem for tcp:// with TLS"
          />
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

/** A labelled input with the server's complaint about it, else a hint, underneath. */
