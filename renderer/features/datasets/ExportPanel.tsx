/**
 * Export a version to a folder on the machine that runs core: chosen with the system's chooser in
 * the desktop app, typed in browser mode (the page cannot browse that machine's folders); core
 * says if it cannot be used.
 */
import { useId, useState } from 'react';
import { api } from '../../api/hooks.ts';
import { ChooseFolderButton } from '../../components/ChooseFolderButton.tsx';
import { ErrorNotice, ProgressBar } from '../../components/Notice.tsx';
import { formatBytes, plural } from '../../format.ts';
import './datasets.css';

export function ExportPanel(props: { name: string; version: number; onClose: () => void }) {
  const [dir, setDir] = useState('');
  const [links, setLinks] = useState(false);
  const op = api.datasets.export.useOperation();
  const id = useId();
  const s = op.state;
  const running = s.status === 'running';

  return (
    <section className="card export-panel" data-testid="export-panel">
      <header className="card-header">
        <h3>
          Export version {props.version} of {props.name}
        </h3>
        <button
          type="button"
          className="btn btn-ghost btn-small"
          onClick={props.onClose}
          aria-label="Close export"
        >
          Close
        </button>
      </header>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (dir.trim()) void op.start({ name: props.name, version: props.version, dir: dir.trim(), links });
        }}
      >
        <label htmlFor={id} className="form-label">
          Folder
        </label>
        <input
          id={id}
          className="input input-wide mono"
          value={dir}
          placeholder="/path/to/an/empty/or/new/folder"
          onChange={(e) => setDir(e.target.value)}
          disabled={running}
        />
        <ChooseFolderButton title="Export to folder" onChosen={setDir} disabled={running} />
        {running ? (
          <button type="button" className="btn" onClick={op.cancel}>
            Cancel
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!dir.trim()}>
            Export
          </button>
        )}
      </form>
      <label className="checkbox-line small">
        <input
          type="checkbox"
          checked={links}
          onChange={(e) => setLinks(e.target.checked)}
          disabled={running}
          data-testid="export-links"
        />
        Hard links instead of copies: no extra space, read-only. Editing one after making it writable changes
        the stored file itself.
      </label>
      <p className="muted small">
        A folder on the machine that runs the workbench. Files are copied (reflinked where the filesystem
        can), so editing them never touches the store.
      </p>
      {running && (
        <div className="progress-block">
          <div className="progress-label">{s.progress?.message ?? 'Starting…'}</div>
          <ProgressBar done={s.progress?.done ?? 0} total={s.progress?.total ?? null} label="Export" />
        </div>
      )}
      {s.status === 'failed' && <ErrorNotice error={s.error} title="Export failed." />}
      {s.status === 'succeeded' && (
        <div className="notice notice-success" data-testid="export-result">
          <div className="notice-text">
            Exported {plural(s.result.files, 'file')} ({formatBytes(s.result.bytes)}) to{' '}
            <span className="mono">{s.result.dir}</span>: {s.result.method.reflink} reflinked,{' '}
            {s.result.method.hardlink} hardlinked, {s.result.method.copy} copied.
          </div>
        </div>
      )}
    </section>
  );
}
