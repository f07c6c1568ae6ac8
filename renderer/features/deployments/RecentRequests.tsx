/**
 * A deployment's newest logged requests (the server writes each to its request log; reading them
 * takes the new lines into the store first): id, time, version, endpoint, status, latency, rows.
 * Re-read every few seconds while the page is in view, since traffic announces nothing. The ids
 * are the ones answers carry in X-Request-Id, which ground-truth labels are joined by.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useNow } from '../../components/useNow.ts';
import { formatAgo, formatDate, formatTimeOfDay } from '../../format.ts';
import { AddLabelsDialog } from '../monitoring/AddLabelsDialog.tsx';
import { CopyButton } from './CopyButton.tsx';
import { formatMs } from './deploymentFormat.ts';
import { usePageVisible } from './useLiveMetrics.ts';
import './deployments.css';

const SHOWN = 50;
const POLL_MS = 10_000;

export function RecentRequests(props: { deployment: string }) {
  const visible = usePageVisible();
  const now = useNow(30_000);
  // A refusal (the deployment's image gone from its remote engine, the deployment removed) is not
  // asked again every 10 s.
  const [refused, setRefused] = useState(false);
  const q = api.deployments.requests.useQuery(
    { name: props.deployment, limit: SHOWN },
    { refetchInterval: visible && !refused ? POLL_MS : undefined },
  );
  useEffect(() => setRefused(q.error?.code === 'INVALID_INPUT' || q.error?.code === 'NOT_FOUND'), [q.error]);
  const requests = q.data?.requests ?? [];
  const [labeling, setLabeling] = useState(false);
  return (
    <section className="card card-flush" data-testid="recent-requests">
      <div className="card-header">
        <h3>Recent requests</h3>
        <span className="muted small">
          {q.isSuccess ? (requests.length === SHOWN ? `the latest ${SHOWN}` : `${requests.length}`) : ''}
        </span>
        <button type="button" className="btn btn-small" onClick={() => setLabeling(true)}>
          Add labels…
        </button>
      </div>
      <ErrorNotice
        error={q.error}
        title="The request log could not be read."
        onRetry={() => void q.refetch()}
      />
      {q.isSuccess && requests.length === 0 ? (
        <p className="muted card-empty" data-testid="no-requests">
          No requests logged yet. Send one with the try-it form, or from your client to the URL above.
        </p>
      ) : (
        requests.length > 0 && (
          <div className="table-scroll requests-scroll">
            <table className="grid grid-compact" data-testid="requests-table">
              <thead>
                <tr>
                  <th>Request id</th>
                  <th>Time</th>
                  <th className="num">Version</th>
                  <th>Endpoint</th>
                  <th>Status</th>
                  <th className="num">Latency</th>
                  <th className="num">Rows</th>
                </tr>
              </thead>
              <tbody>
                {requests.map((r) => (
                  <tr key={`${r.id}-${r.at}`} data-testid="request-row">
                    <td className="nowrap">
                      <span className="mono request-id">{r.id}</span>
                      <CopyButton text={r.id} what="the request id" />
                    </td>
                    <td className="nowrap" title={`${formatDate(r.at)} (${formatAgo(r.at, now)})`}>
                      {formatTimeOfDay(r.at)}
                    </td>
                    <td className="num">v{r.version}</td>
                    <td className="mono small">{r.endpoint}</td>
                    <td className="nowrap">
                      <span className={r.status < 400 ? 'http-status http-ok' : 'http-status http-bad'}>
                        {r.status}
                      </span>
                      {r.error && (
                        <span className="muted small request-error" title={r.error}>
                          {r.error}
                        </span>
                      )}
                    </td>
                    <td className="num">{formatMs(r.latencyMs)}</td>
                    <td className="num">{r.rows}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <p className="muted small card-footer">
        Every answer carries its request id in the <code>X-Request-Id</code> header (a client may choose it by
        sending that header). Add ground truth by id with Add labels, or{' '}
        <code>mlwb labels add {props.deployment} FILE</code> (a CSV or JSON Lines file with request_id and
        label columns): monitors then report accuracy, or RMSE and MAE.
      </p>
      {labeling && <AddLabelsDialog deployment={props.deployment} onClose={() => setLabeling(false)} />}
    </section>
  );
}
