/**
 * The files a run left in /workbench/output: its model, metrics file and other artifacts. Browser
 * mode downloads them through the server; the desktop app saves one into a folder the user
 * chooses (the bridge has no download route).
 */
import { useState } from 'react';
import type { RunDetail } from '../../../shared/training.ts';
import { api } from '../../api/hooks.ts';
import { useFolderChooser } from '../../components/ChooseFolderButton.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { formatBytes, plural } from '../../format.ts';

const canDownload = typeof window !== 'undefined' && !('mlwb' in window);

export function ArtifactsCard(props: { runId: string; artifacts: RunDetail['artifacts']; active: boolean }) {
  const total = props.artifacts.reduce((n, a) => n + a.size, 0);
  const chooser = useFolderChooser();
  const save = api.runs.saveArtifact.useMutation();
  const [saved, setSaved] = useState<string | null>(null);
  const saveOne = async (artifact: string) => {
    setSaved(null);
    const dir = await chooser?.choose(`Save ${artifact} to folder`);
    if (!dir) return;
    save.mutate({ id: props.runId, path: artifact, dir }, { onSuccess: (r) => setSaved(r.saved) });
  };
  return (
    <div className="card card-flush" data-testid="artifacts-card">
      <div className="card-header">
        <h3>Artifacts</h3>
        {props.artifacts.length > 0 && (
          <span className="muted small">
            {plural(props.artifacts.length, 'file')} · {formatBytes(total)}
          </span>
        )}
      </div>
      {props.artifacts.length === 0 ? (
        <p className="muted card-empty">
          {props.active
            ? 'Files appear here when the run writes them to /workbench/output.'
            : 'The run left no files in /workbench/output.'}
        </p>
      ) : (
        <table className="grid grid-compact">
          <tbody>
            {props.artifacts.map((a) => (
              <tr key={a.path} data-testid="artifact">
                <td className="mono">
                  {canDownload ? (
                    <a
                      href={`/api/runs/${encodeURIComponent(props.runId)}/artifacts/${a.path.split('/').map(encodeURIComponent).join('/')}`}
                      download
                      data-testid="artifact-download"
                    >
                      {a.path}
                    </a>
                  ) : (
                    a.path
                  )}
                </td>
                <td className="num">{formatBytes(a.size)}</td>
                {!canDownload && chooser && (
                  <td className="num">
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={save.isPending}
                      onClick={() => void saveOne(a.path)}
                    >
                      Save…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {saved && (
        <p className="small card-empty" role="status">
          Saved to <span className="mono">{saved}</span>
        </p>
      )}
      <ErrorNotice error={chooser?.error} title="The folder chooser did not open." />
      <ErrorNotice error={save.error} title="The artifact was not saved." />
    </div>
  );
}
