/**
 * Drift: run a check between reference and current data, read its report, and go back
 * to stored reports or compare two of them. The open report or comparison lives in the URL.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { api } from '../../api/hooks.ts';
import { ErrorNotice, Loading } from '../../components/Notice.tsx';
import { href, navigate, type Route } from '../../router.ts';
import { CheckForm } from './CheckForm.tsx';
import { ComparisonView } from './ComparisonView.tsx';
import { ReportList } from './ReportList.tsx';
import { ReportView } from './ReportView.tsx';

type DriftRoute = Extract<Route, { page: 'drift' }>;

export function DriftPage(props: { route: DriftRoute }) {
  const { report, a, b } = props.route;
  const queryClient = useQueryClient();
  const shown = useRef<HTMLDivElement>(null);
  const go = (r: Omit<DriftRoute, 'page'>) => navigate({ page: 'drift', ...r });

  // Bring a newly opened report or comparison into view.
  const focus = report ?? (a && b ? `${a}:${b}` : '');
  useEffect(() => {
    if (focus) shown.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [focus]);

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Drift</h1>
          <p className="muted">
            Has current data drifted from the reference? Per-column statistical tests, schema checks, and
            every report kept with exactly what it compared.
          </p>
        </div>
      </header>
      <CheckForm
        onDone={(record) => {
          queryClient.setQueryData(api.drift.report.key({ id: record.id }), record);
          go({ report: record.id });
        }}
      />
      <div ref={shown} className="scroll-anchor">
        {a && b ? (
          <ComparisonView a={a} b={b} onClose={() => go({})} />
        ) : report ? (
          <OpenReport id={report} onClose={() => go({})} />
        ) : null}
      </div>
      <ReportList
        openId={report}
        onOpen={(id) => go({ report: id })}
        onCompare={(x, y) => go({ a: x, b: y })}
      />
      <p className="muted small">
        To check a deployment’s logged requests on a schedule, with alerts, add a monitor on the{' '}
        <a href={href({ page: 'monitors' })}>Monitoring</a> page: a monitor's page lists its checks, each with
        its drift report.
      </p>
    </div>
  );
}

function OpenReport(props: { id: string; onClose: () => void }) {
  const q = api.drift.report.useQuery({ id: props.id }, { staleTime: Number.POSITIVE_INFINITY });
  if (q.isPending) return <Loading>Opening the report…</Loading>;
  if (q.error)
    return (
      <ErrorNotice error={q.error} title="The report could not be opened." onRetry={() => void q.refetch()} />
    );
  return <ReportView key={props.id} record={q.data} onClose={props.onClose} />;
}
