/**
 * The reproducibility record (DESIGN.md §5): everything needed to run this again, as recorded when
 * it ran: image and digest, recipe digest, dataset versions with digests, params, seed, command,
 * resources, engine and version, exit code, durations, peak memory.
 */
import type { ReactNode } from 'react';
import type { RunSummary } from '../../../shared/tracking.ts';
import type { RunDetail } from '../../../shared/training.ts';
import { formatBytes, formatDate } from '../../format.ts';
import { href } from '../../router.ts';
import { formatDuration } from './runFormat.ts';
import './RunPage.css';

const short = (digest: string | null | undefined, n = 16) =>
  digest ? (digest.length > n + 8 ? `${digest.slice(0, n + 7)}…` : digest) : null;

export function ReproRecord(props: { run: RunSummary; detail: RunDetail }) {
  const { run, detail } = props;
  const spec = detail.spec;
  const none = <span className="muted">—</span>;
  const fact = (label: string, value: ReactNode, title?: string) => (
    <div className="repro-fact">
      <dt>{label}</dt>
      <dd title={title}>{value ?? none}</dd>
    </div>
  );
  const res = spec?.resources;
  return (
    <div className="card" data-testid="repro-record">
      <div className="card-header">
        <h3>Reproducibility record</h3>
        <span className="muted small mono">mlwb runs rerun {run.id}</span>
      </div>
      {!spec && (
        <p className="muted">
          This run was logged by a script through the MLflow API, so the workbench holds no run spec for it.
        </p>
      )}
      <dl className="repro-grid">
        {spec && fact('Image', <span className="mono">{spec.image}</span>)}
        {fact(
          'Image digest',
          detail.imageDigest && <span className="mono">{short(detail.imageDigest, 19)}</span>,
          detail.imageDigest ?? undefined,
        )}
        {spec &&
          fact(
            'Recipe',
            <>
              {spec.recipe.name} <span className="mono muted">{short(spec.recipe.digest)}</span>
            </>,
            `${spec.recipe.path}\n${spec.recipe.digest}`,
          )}
        {spec && fact('Command', <span className="mono">{spec.command.join(' ')}</span>)}
        {spec && fact('Seed', <span className="mono">{spec.seed}</span>)}
        {spec &&
          fact(
            'Resources',
            [
              res?.cpus !== undefined ? `${res.cpus} CPU` : 'CPU unlimited',
              res?.memory ? `${res.memory} memory` : 'memory unlimited',
              `${res?.gpus ?? 0} GPU`,
            ].join(' · '),
          )}
        {fact(
          'Engine',
          detail.engine || spec?.engine ? (
            <>
              <span className="mono">{detail.engine ?? spec?.engine}</span>
              {detail.engineVersion && ` · Docker ${detail.engineVersion}`}
            </>
          ) : null,
        )}
        {fact(
          'Container',
          detail.containerId && <span className="mono">{detail.containerId.slice(0, 12)}</span>,
          detail.containerId ?? undefined,
        )}
        {fact('Exit code', detail.exitCode === null ? null : <span className="mono">{detail.exitCode}</span>)}
        {fact('Peak memory', detail.peakMemory === null ? null : formatBytes(detail.peakMemory))}
        {fact('Created', formatDate(run.createdAt))}
        {fact('Queued for', run.startTime === null ? null : formatDuration(run.startTime - run.createdAt))}
        {fact('Started', run.startTime === null ? null : formatDate(run.startTime))}
        {fact(
          'Ran for',
          run.startTime === null || run.endTime === null ? null : formatDuration(run.endTime - run.startTime),
        )}
        {detail.skippedMetrics > 0 &&
          fact('Skipped metric lines', `${detail.skippedMetrics} (not JSON, non-finite or over-long keys)`)}
      </dl>
      {(spec?.datasets.length ?? detail.inputs.length) > 0 && (
        <div>
          <div className="form-label">Datasets</div>
          <table className="grid grid-compact repro-table">
            <tbody>
              {(spec?.datasets ?? detail.inputs).map((d) => (
                <tr key={d.channel}>
                  <td className="mono">{d.channel}</td>
                  <td>
                    <a href={href({ page: 'version', name: d.dataset, version: d.version })}>
                      {d.dataset} v{d.version}
                    </a>
                  </td>
                  <td className="mono muted" title={d.digest}>
                    {short(d.digest)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
