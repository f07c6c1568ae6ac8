/**
 * "Add a version": what was dropped, which dataset it goes to (a new one or an existing one), a
 * message, then upload and ingest progress with Cancel, then what was created.
 */
import { useEffect, useId, useState } from 'react';
import type { AddResult } from '../../../shared/datasets.ts';
import { DatasetName, NewDatasetName } from '../../../shared/datasets.ts';
import { api } from '../../api/hooks.ts';
import type { PickedSource } from '../../api/transport.ts';
import { type AddState, useAddVersion } from '../../api/useAddVersion.ts';
import { Icon } from '../../components/icons.tsx';
import { ModalDialog } from '../../components/ModalDialog.tsx';
import { ErrorNotice, ProgressBar, Warnings } from '../../components/Notice.tsx';
import { formatBytes, formatCount, plural } from '../../format.ts';
import { href } from '../../router.ts';
import './datasets.css';

export interface AddTarget {
  mode: 'new' | 'existing';
  name: string;
}

export function AddVersionDialog(props: { source: PickedSource; initial: AddTarget; onClose: () => void }) {
  const datasets = api.datasets.list.useQuery({});
  const add = useAddVersion();
  const [mode, setMode] = useState(props.initial.mode);
  const [newName, setNewName] = useState(props.initial.mode === 'new' ? props.initial.name : '');
  const [existing, setExisting] = useState(props.initial.mode === 'existing' ? props.initial.name : '');
  const [message, setMessage] = useState('');
  const ids = useId();
  const names = datasets.data?.map((d) => d.name) ?? [];
  useEffect(() => {
    if (!existing && names[0]) setExisting(names[0]);
  }, [existing, names[0]]);

  const name = mode === 'new' ? newName : existing;
  const nameCheck = (mode === 'new' ? NewDatasetName : DatasetName).safeParse(name);
  const nameProblem =
    mode === 'new' && newName !== '' && !nameCheck.success ? nameCheck.error.issues[0]?.message : undefined;
  const taken = mode === 'new' && names.includes(newName);
  const empty = props.source.files.length === 0;
  const busy = add.state.step === 'uploading' || add.state.step === 'storing';
  const canAdd = nameCheck.success && !taken && !empty && !busy;

  const close = () => {
    if (busy) add.cancel();
    props.onClose();
  };

  return (
    <ModalDialog
      title={add.state.step === 'done' ? 'Version added' : 'Add a version'}
      onClose={close}
      onSubmit={() => {
        if (canAdd) void add.start({ name, message, source: props.source });
      }}
    >
      <div className="dialog-body">
        {add.state.step === 'done' ? (
          <AddOutcome result={add.state.result} />
        ) : (
          <>
            <SourceSummary source={props.source} />
            {add.state.step === 'form' && <ErrorNotice error={add.state.error} title="Nothing was added." />}
            {add.state.step === 'form' && add.state.cancelled && (
              <div className="notice notice-info">Cancelled. Nothing was added.</div>
            )}
            {busy ? (
              <AddProgress state={add.state} />
            ) : empty ? null : (
              <fieldset className="form-grid">
                <span className="form-label">Dataset</span>
                <div className="segmented" role="radiogroup" aria-label="Dataset">
                  <label className={mode === 'new' ? 'seg active' : 'seg'}>
                    <input type="radio" checked={mode === 'new'} onChange={() => setMode('new')} />
                    New dataset
                  </label>
                  <label
                    className={mode === 'existing' ? 'seg active' : 'seg'}
                    aria-disabled={names.length === 0}
                  >
                    <input
                      type="radio"
                      checked={mode === 'existing'}
                      disabled={names.length === 0}
                      onChange={() => setMode('existing')}
                    />
                    Existing dataset
                  </label>
                </div>
                <label className="form-label" htmlFor={`${ids}-name`}>
                  Name
                </label>
                <div>
                  {mode === 'new' ? (
                    <input
                      id={`${ids}-name`}
                      className="input"
                      value={newName}
                      placeholder="e.g. customers"
                      onChange={(e) => setNewName(e.target.value)}
                      aria-invalid={nameProblem !== undefined || taken}
                    />
                  ) : (
                    <select
                      id={`${ids}-name`}
                      className="input"
                      value={existing}
                      onChange={(e) => setExisting(e.target.value)}
                    >
                      {names.map((n) => (
                        <option key={n}>{n}</option>
                      ))}
                    </select>
                  )}
                  {nameProblem && <div className="field-error">{nameProblem}</div>}
                  {taken && (
                    <div className="field-error">
                      A dataset named {newName} exists; choose “Existing dataset” to add a version to it.
                    </div>
                  )}
                </div>
                <label className="form-label" htmlFor={`${ids}-message`}>
                  Message
                </label>
                <input
                  id={`${ids}-message`}
                  className="input"
                  value={message}
                  placeholder="What changed in this version (optional)"
                  onChange={(e) => setMessage(e.target.value)}
                />
              </fieldset>
            )}
          </>
        )}
      </div>
      <footer className="dialog-footer">
        {add.state.step === 'done' ? (
          <>
            <a
              className="btn"
              href={href({ page: 'dataset', name: add.state.result.dataset })}
              onClick={props.onClose}
            >
              Open dataset
            </a>
            <button type="button" className="btn btn-primary" onClick={props.onClose}>
              Done
            </button>
          </>
        ) : busy ? (
          <button type="button" className="btn" onClick={add.cancel}>
            Cancel
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={close}>
              Close
            </button>
            {!empty && (
              <button type="submit" className="btn btn-primary" disabled={!canAdd}>
                Add version
              </button>
            )}
          </>
        )}
      </footer>
    </ModalDialog>
  );
}

function SourceSummary(props: { source: PickedSource }) {
  const { files, roots, emptyFolders } = props.source;
  const bytes = files.reduce((n, f) => n + f.file.size, 0);
  const shown = roots.slice(0, 4);
  if (files.length === 0 && emptyFolders.length > 0) {
    return (
      <div className="notice notice-error" role="alert">
        Nothing to add: {emptyFolders.join(', ')} {emptyFolders.length === 1 ? 'is' : 'are'} empty. Add files
        to
        {emptyFolders.length === 1 ? ' it' : ' them'} first, then drop again.
      </div>
    );
  }
  return (
    <div className="source-summary" data-testid="source-summary">
      <div className="source-items">
        {shown.map((r) => (
          <span key={r.name} className="chip">
            <Icon name={r.kind} size={14} />
            {r.name}
          </span>
        ))}
        {roots.length > shown.length && <span className="chip">+{roots.length - shown.length} more</span>}
      </div>
      {files.length > 0 && (
        <div className="muted">
          {plural(files.length, 'file')} · {formatBytes(bytes)}
        </div>
      )}
      {emptyFolders.length > 0 && (
        <Warnings items={emptyFolders.map((f) => `${f} is empty and is skipped.`)} />
      )}
    </div>
  );
}

function AddProgress(props: { state: AddState }) {
  const s = props.state;
  if (s.step === 'uploading') {
    const p = s.progress;
    return (
      <div className="progress-block" data-testid="add-progress">
        <div className="progress-label">
          Uploading {formatCount(p.filesDone)} of {plural(p.filesTotal, 'file')} · {formatBytes(p.bytesDone)}{' '}
          of {formatBytes(p.bytesTotal)}
        </div>
        <ProgressBar done={p.bytesDone} total={p.bytesTotal || null} label="Upload" />
      </div>
    );
  }
  if (s.step !== 'storing') return null;
  const p = s.progress;
  const label =
    p === null
      ? 'Starting…'
      : p.phase === 'storing'
        ? `Storing · ${p.message ?? ''} · ${formatBytes(p.done)} of ${formatBytes(p.total ?? 0)}`
        : p.phase === 'scanning'
          ? `Listing files · ${p.message ?? ''}`
          : (p.message ?? p.phase);
  return (
    <div className="progress-block" data-testid="add-progress">
      <div className="progress-label">{label}</div>
      <ProgressBar
        done={p?.done ?? 0}
        total={p?.phase === 'scanning' ? null : (p?.total ?? null)}
        label="Ingest"
      />
    </div>
  );
}

function AddOutcome(props: { result: AddResult }) {
  const r = props.result;
  return (
    <div className="outcome" data-testid="add-outcome">
      {r.created ? (
        <p>
          <strong>
            Version {r.version} of {r.dataset}
          </strong>{' '}
          was created: {plural(r.files, 'file')}, {formatBytes(r.bytes)}, of which {formatBytes(r.newBytes)}{' '}
          were new to the store.
        </p>
      ) : (
        <p>
          <strong>Unchanged, no new version.</strong> The content is identical to version {r.version} of{' '}
          {r.dataset}.
        </p>
      )}
      <p className="muted mono">digest {r.digest.slice(0, 16)}…</p>
      <Warnings items={r.warnings} title="Some items were skipped:" />
    </div>
  );
}
