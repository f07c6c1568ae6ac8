/**
 * Ground truth for a deployment's answers, from the window: a CSV or JSON Lines file picked or
 * dropped here is staged (uploaded in browser mode, its path in Electron) and joined to the logged
 * requests by id. Says how many labels were read and matched, and which ids match no request yet
 * (they are kept, and count once those requests are logged). The upload can be cancelled; once
 * it is done the labels are being stored, which is quick and not cancelled.
 */
import { useEffect, useRef, useState } from 'react';
import type { AddLabelsResult } from '../../../shared/monitoring.ts';
import { ApiError } from '../../api/apiError.ts';
import { useClient } from '../../api/client.ts';
import { stageFile } from '../../api/stageFile.ts';
import type { StageProgress } from '../../api/transport.ts';
import { useDropClaim } from '../../components/AddFiles.tsx';
import { ModalDialog } from '../../components/ModalDialog.tsx';
import { ErrorNotice, ProgressBar } from '../../components/Notice.tsx';
import { formatBytes } from '../../format.ts';
import './monitoring.css';

type Step =
  | { step: 'choose'; error?: ApiError }
  | { step: 'uploading'; progress: StageProgress | null }
  | { step: 'adding' }
  | { step: 'done'; result: AddLabelsResult };

export function AddLabelsDialog(props: { deployment: string; onClose(): void }) {
  const client = useClient();
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<Step>({ step: 'choose' });
  const controller = useRef<AbortController | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const busy = state.step === 'uploading' || state.step === 'adding';
  // Leaving the dialog stops an upload still going (core removes what it had staged).
  useEffect(() => () => controller.current?.abort(), []);
  const choose = (f: File | null) => {
    setFile(f);
    setState({ step: 'choose' });
  };
  useDropClaim((source) => {
    if (busy) return;
    const files = source.roots.filter((r) => r.kind === 'file').map((r) => r.file);
    if (files.length === 1 && source.roots.length === 1) return choose(files[0]!);
    setState({
      step: 'choose',
      error: new ApiError(
        'INVALID_INPUT',
        'Drop one labels file (CSV or JSON Lines), not a folder or several files.',
      ),
    });
  });

  const add = async () => {
    if (!file || busy) return;
    const run = new AbortController();
    controller.current = run;
    try {
      setState({ step: 'uploading', progress: null });
      const staged = await stageFile(client, file, {
        signal: run.signal,
        onProgress: (progress) => setState({ step: 'uploading', progress }),
      });
      setState({ step: 'adding' });
      const result = await client.call('labels.add', { deployment: props.deployment, ...staged }, run.signal);
      setState({ step: 'done', result });
    } catch (err) {
      const error = ApiError.from(err);
      setState(error.code === 'CANCELLED' ? { step: 'choose' } : { step: 'choose', error });
    } finally {
      controller.current = null;
    }
  };

  return (
    <ModalDialog
      title={`Add ground-truth labels to ${props.deployment}`}
      onClose={props.onClose}
      onSubmit={add}
    >
      <div className="dialog-body labels-dialog">
        <p>
          Labels say what the right answer was for requests {props.deployment} answered, joined by their
          request ids. Its monitors then report realized accuracy (classifiers) or RMSE and MAE (regressors)
          at their next check.
        </p>
        <p className="muted small">
          A CSV or JSON Lines file with <code>request_id</code> and <code>label</code> columns, and{' '}
          <code>row</code> (from 0) for requests that scored several rows. A label added again for the same
          row replaces the one before.
        </p>
        <pre className="labels-example mono small">
          {'request_id,row,label\n0b6c…e1,0,setosa\n0b6c…e1,1,virginica'}
        </pre>
        {state.step === 'done' ? (
          <LabelsAdded result={state.result} deployment={props.deployment} file={file?.name ?? ''} />
        ) : (
          <div className="labels-file">
            <button type="button" className="btn" disabled={busy} onClick={() => picker.current?.click()}>
              Choose file…
            </button>
            <input
              ref={picker}
              type="file"
              hidden
              aria-label="Labels file"
              data-testid="labels-input"
              accept=".csv,.txt,.jsonl,.json"
              onChange={(e) => {
                choose(e.target.files?.[0] ?? null);
                // The same file picked again (fixed since) is a change too.
                e.currentTarget.value = '';
              }}
            />
            {file ? (
              <span data-testid="labels-file-name">
                <span className="strong">{file.name}</span>{' '}
                <span className="muted small">{formatBytes(file.size)}</span>
              </span>
            ) : (
              <span className="muted">or drop it on this window.</span>
            )}
          </div>
        )}
        {state.step === 'uploading' && (
          <div className="run-progress" data-testid="labels-progress">
            <span className="progress-label">
              Uploading {file?.name}
              {state.progress &&
                ` · ${formatBytes(state.progress.bytesDone)} of ${formatBytes(state.progress.bytesTotal)}`}
              …
            </span>
            <ProgressBar
              done={state.progress?.bytesDone ?? 0}
              total={state.progress?.bytesTotal || null}
              label="Upload progress"
            />
          </div>
        )}
        {state.step === 'adding' && <p className="muted">Joining the labels to the logged requests…</p>}
        {state.step === 'choose' && <ErrorNotice error={state.error} title="No labels were added." />}
      </div>
      <footer className="dialog-footer">
        {state.step === 'uploading' ? (
          <button type="button" className="btn" onClick={() => controller.current?.abort()}>
            Cancel
          </button>
        ) : (
          // Once uploaded, the labels are being stored: there is nothing left to cancel.
          <button
            type="button"
            className="btn"
            disabled={state.step === 'adding'}
            onClick={props.onClose}
            // biome-ignore lint/a11y/noAutofocus: the submit button it replaces had the focus
            autoFocus={state.step === 'done'}
          >
            {state.step === 'done' ? 'Close' : 'Cancel'}
          </button>
        )}
        {state.step !== 'done' && (
          <button type="submit" className="btn btn-primary" disabled={!file || busy}>
            {busy ? 'Adding…' : 'Add labels'}
          </button>
        )}
      </footer>
    </ModalDialog>
  );
}

function LabelsAdded(props: { result: AddLabelsResult; deployment: string; file: string }) {
  const { read, matched, unmatchedIds } = props.result;
  const unmatched = read - matched;
  return (
    <div className="notice notice-success" role="status" data-testid="labels-added">
      <div className="notice-text">
        <strong>
          {read.toLocaleString()} label{read === 1 ? '' : 's'} read from {props.file};{' '}
          {matched.toLocaleString()} match requests {props.deployment} logged.
        </strong>
        {unmatched > 0 && (
          <span>
            {' '}
            {unmatched.toLocaleString()} name no logged request yet (
            <span className="mono">{unmatchedIds.slice(0, 5).join(', ')}</span>
            {unmatchedIds.length > 5 || unmatched > unmatchedIds.length ? ', …' : ''}): they are kept, and
            count once those requests are logged. Check the ids if they should have matched.
          </span>
        )}
        <span className="muted"> Monitors use them from their next check.</span>
      </div>
    </div>
  );
}
