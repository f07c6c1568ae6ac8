/**
 * The serving container's last lines, re-read every few seconds while "Follow" is on (and the
 * page is in view), kept scrolled to the newest line.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api } from '../../api/hooks.ts';
import { ErrorNotice, Loading } from '../../components/Notice.tsx';
import { plainLogText } from './deploymentFormat.ts';
import { usePageVisible } from './useLiveMetrics.ts';

const TAIL = 200;
const FOLLOW_MS = 3000;

export function DeploymentLogs(props: { name: string; container: string | null }) {
  const [follow, setFollow] = useState(true);
  const visible = usePageVisible();
  const logs = api.deployments.logs.useQuery(
    { name: props.name, tail: TAIL },
    { refetchInterval: follow && visible ? FOLLOW_MS : undefined },
  );
  // A replacement or a restart serves from another container: its lines, at once.
  const { refetch } = logs;
  const shown = useRef(props.container);
  useEffect(() => {
    if (props.container === shown.current) return;
    shown.current = props.container;
    void refetch();
  }, [props.container, refetch]);
  const view = useRef<HTMLPreElement>(null);
  const lines = logs.data?.lines ?? [];
  const last = lines.at(-1)?.text;
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when new lines arrive.
  useLayoutEffect(() => {
    if (follow && view.current) view.current.scrollTop = view.current.scrollHeight;
  }, [follow, last, lines.length]);
  return (
    <div className="card card-flush" data-testid="deployment-logs">
      <div className="card-header">
        <h3>Logs</h3>
        <span className="muted small">
          {logs.data?.container ? `last ${TAIL} lines of ${logs.data.container.slice(0, 12)}` : ''}
        </span>
        <div className="log-tools">
          <button type="button" className="btn btn-small" onClick={() => void logs.refetch()}>
            Refresh
          </button>
          <label className="check-label" title="Re-read every few seconds and keep the newest line in view">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
            Follow
          </label>
        </div>
      </div>
      <ErrorNotice
        error={logs.error}
        title="The log could not be read."
        onRetry={() => void logs.refetch()}
      />
      {logs.isPending ? (
        <Loading>Reading the log…</Loading>
      ) : (
        <pre className="log-block dep-log" ref={view} data-testid="deployment-log">
          {lines.length === 0
            ? logs.data?.container === null
              ? 'No container runs for this deployment now.'
              : 'No output yet.'
            : lines.map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a tail of lines, re-read whole each time.
                <span key={i} className={l.stream === 'stderr' ? 'log-stderr' : undefined}>
                  {plainLogText(l.text)}
                  {'\n'}
                </span>
              ))}
        </pre>
      )}
    </div>
  );
}
