/** The files a run left in /workbench/output: its model, metrics file and other artifacts. */
import type { RunDetail } from '../../../shared/training.ts';
import { formatBytes, plural } from '../../format.ts';

/** Browser mode downloads through the server; the Electron bridge has no download route. */
const canDownload = typeof window !== 'undefined' && !('mlwb' in window);

export function ArtifactsCard(props: { runId: string; artifacts: RunDetail['artifacts']; active: boolean }) {
  const total = props.artifacts.reduce((n, a) => n + a.size, 0);
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
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
