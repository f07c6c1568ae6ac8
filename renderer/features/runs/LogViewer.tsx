/**
 * A run's log: stdout and stderr told apart, a search that filters lines, and follow mode that
 * keeps the newest line in view (scrolling up pauses it). Windowed like the runs table, so the
 * 5,000 lines the UI keeps cost no more than a screenful.
 */
import { useDeferredValue, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { RunLogs } from '../../api/useRunLive.ts';
import { ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { useWindowedRows } from './useWindowedRows.ts';
import './RunPage.css';

const LINE_HEIGHT = 18;

export function LogViewer(props: { runId: string; logs: RunLogs; active: boolean }) {
  const { logs } = props;
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const query = useDeferredValue(search.trim().toLowerCase());
  const shown = useMemo(
    () => (query ? logs.lines.filter((l) => l.text.toLowerCase().includes(query)) : logs.lines),
    [logs.lines, query],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const win = useWindowedRows(scroller, shown.length, LINE_HEIGHT);

  const last = shown[shown.length - 1]?.seq;
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when a new last line arrives.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (follow && el) el.scrollTop = el.scrollHeight;
  }, [follow, last, shown.length]);

  return (
    <div className="card card-flush log-card">
      <div className="card-header">
        <h3>Logs</h3>
        <span className="muted small" data-testid="log-count">
          {query
            ? `${formatCount(shown.length)} of ${formatCount(logs.lines.length)} lines`
            : `${formatCount(logs.lines.length)} lines`}
          {logs.omitted > 0 &&
            ` · ${formatCount(logs.omitted)} earlier lines not shown (the full log is kept on disk: mlwb runs logs ${props.runId})`}
        </span>
        <div className="log-tools">
          <input
            className="input log-search"
            type="search"
            placeholder="Search the log"
            aria-label="Search the log"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <label className="check-label" title="Keep the newest line in view">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
            Follow
          </label>
        </div>
      </div>
      <ErrorNotice error={logs.error} title="The log could not be read." />
      <div
        className="log-view"
        ref={scroller}
        data-testid="log-view"
        onWheel={(e) => {
          if (e.deltaY < 0 && follow) setFollow(false);
        }}
      >
        {logs.isPending ? (
          <Loading>Reading the log…</Loading>
        ) : shown.length === 0 ? (
          <div className="log-empty muted">
            {query
              ? 'No line matches.'
              : props.active
                ? 'Waiting for the first line…'
                : 'The run wrote no output.'}
          </div>
        ) : (
          <div style={{ paddingTop: win.before, paddingBottom: win.after }}>
            {shown.slice(win.start, win.end).map((l) => (
              <div key={l.seq} className={`log-line log-${l.stream}`} data-testid="log-line">
                {l.text || ' '}
              </div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
