/**
 * Store maintenance, as `mlwb verify` and `mlwb gc` do it: re-hash every stored file and name the
 * damaged ones with what uses them; remove files nothing refers to any more (left by cancelled or
 * killed adds). Verify is long: it shows progress and can be cancelled.
 */
import { api } from '../../api/hooks.ts';
import { ErrorNotice, ProgressBar } from '../../components/Notice.tsx';
import { formatBytes, formatCount, plural } from '../../format.ts';
import './StoreMaintenanceCard.css';

export function StoreMaintenanceCard() {
  const verify = api.store.verify.useOperation();
  const gc = api.store.gc.useMutation();
  const v = verify.state;
  const running = v.status === 'running';
  const damaged = v.status === 'succeeded' ? [...v.result.missing, ...v.result.corrupt] : [];

  return (
    <section className="card card-flush" data-testid="store-maintenance">
      <div className="card-header">
        <h3>Store maintenance</h3>
      </div>
      <div className="maintenance-row">
        <div>
          <strong>Verify</strong>
          <p className="muted small">Reads every stored file back and checks it against its SHA-256.</p>
        </div>
        {running ? (
          <button type="button" className="btn" onClick={verify.cancel}>
            Cancel
          </button>
        ) : (
          <button type="button" className="btn" onClick={() => void verify.start({})}>
            Verify store
          </button>
        )}
      </div>
      {running && (
        <div className="progress-block">
          <div className="progress-label">{v.progress?.message ?? 'Starting…'}</div>
          <ProgressBar done={v.progress?.done ?? 0} total={v.progress?.total ?? null} label="Verify" />
        </div>
      )}
      {v.status === 'failed' && <ErrorNotice error={v.error} title="Verify did not finish." />}
      {v.status === 'succeeded' &&
        (damaged.length === 0 ? (
          <div className="notice notice-success" role="status" data-testid="verify-result">
            <div className="notice-text">
              {formatCount(v.result.objects)} stored {v.result.objects === 1 ? 'file' : 'files'} checked: the
              store is intact.
            </div>
          </div>
        ) : (
          <div className="notice notice-error" role="alert" data-testid="verify-result">
            <div className="notice-text">
              <strong>
                {plural(damaged.length, 'damaged file')} of {formatCount(v.result.objects)}.
              </strong>{' '}
              They no longer hold what was stored; versions that use them cannot be exported or read in full.
              <ul className="damage-list">
                {damaged.map((d) => (
                  <li key={d}>
                    <span className="mono">{d.slice(0, 16)}…</span>{' '}
                    {v.result.missing.includes(d) ? 'missing' : 'corrupt'}
                    {(v.result.usedBy[d] ?? []).length > 0 && (
                      <span className="muted"> — used by {(v.result.usedBy[d] ?? []).join('; ')}</span>
                    )}
                  </li>
                ))}
              </ul>
            </div>
          </div>
        ))}
      <div className="maintenance-row">
        <div>
          <strong>Clean up</strong>
          <p className="muted small">
            Removes stored files no version or run refers to (left by cancelled or interrupted adds).
          </p>
        </div>
        <button type="button" className="btn" disabled={gc.isPending} onClick={() => gc.mutate({})}>
          {gc.isPending ? 'Cleaning…' : 'Clean up'}
        </button>
      </div>
      {gc.data && (
        <p className="small" role="status" data-testid="gc-result">
          {gc.data.removed === 0
            ? 'Nothing to remove.'
            : `Removed ${plural(gc.data.removed, 'unreferenced file')}, freed ${formatBytes(gc.data.freedBytes)}.`}
        </p>
      )}
      <ErrorNotice error={gc.error} title="Clean-up failed." />
    </section>
  );
}
