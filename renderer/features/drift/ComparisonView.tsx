/**
 * Two stored reports side by side, column by column: method, statistic and verdict in each, with
 * the columns whose verdict or method changed marked, so a user sees what moved between checks.
 */
import type { DriftComparison, DriftReportSummary } from '../../../shared/drift.ts';
import { api } from '../../api/hooks.ts';
import { ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatCount, formatDate, formatJsonNumber, formatShare } from '../../format.ts';
import { InputName } from './InputName.tsx';
import './ComparisonView.css';

type Side = DriftComparison['columns'][number]['a'];

export function ComparisonView(props: { a: string; b: string; onClose: () => void }) {
  const cmp = api.drift.compare.useQuery({ a: props.a, b: props.b }, { staleTime: Number.POSITIVE_INFINITY });
  return (
    <section className="card card-flush" data-testid="drift-comparison" aria-label="Compared reports">
      <header className="card-header">
        <h3>Two reports compared</h3>
        <button type="button" className="btn btn-small btn-ghost" onClick={props.onClose}>
          Close comparison
        </button>
      </header>
      <ErrorNotice
        error={cmp.error}
        title="The reports could not be compared."
        onRetry={() => void cmp.refetch()}
      />
      {cmp.isPending && <Loading>Comparing…</Loading>}
      {cmp.data && <Comparison data={cmp.data} />}
    </section>
  );
}

function Comparison(props: { data: DriftComparison }) {
  const { a, b, columns } = props.data;
  const changed = columns.filter((c) => change(c.a, c.b) !== null).length;
  return (
    <>
      <div className="compare-heads">
        <ReportHead tag="A" r={a} />
        <ReportHead tag="B" r={b} />
      </div>
      <p className="compare-summary muted">
        {a.datasetDrift !== b.datasetDrift &&
          `Dataset drift ${b.datasetDrift ? 'appeared' : 'went away'} from A to B. `}
        {changed === 0
          ? 'Every column has the same method and verdict in both reports.'
          : `${formatCount(changed)} of ${formatCount(columns.length)} columns changed between A and B.`}
      </p>
      <div className="table-scroll">
        <table className="grid drift-compare-table" data-testid="drift-compare-columns">
          <thead>
            <tr>
              <th rowSpan={2}>Column</th>
              <th colSpan={3} className="group side-a">
                A
              </th>
              <th colSpan={3} className="group side-b">
                B
              </th>
              <th rowSpan={2}>Change</th>
            </tr>
            <tr>
              <th className="side-a">Method</th>
              <th className="num">Statistic</th>
              <th>Drift</th>
              <th className="side-b">Method</th>
              <th className="num">Statistic</th>
              <th>Drift</th>
            </tr>
          </thead>
          <tbody>
            {columns.map((c) => {
              const what = change(c.a, c.b);
              return (
                <tr
                  key={c.column}
                  className={what ? 'row-changed' : undefined}
                  data-testid="drift-compare-row"
                >
                  <td className="strong">{c.column}</td>
                  <SideCells s={c.a} method={c.a?.method !== c.b?.method} first />
                  <SideCells s={c.b} method={c.a?.method !== c.b?.method} />
                  <td className={what ? 'tone-change strong' : 'muted'}>{what ?? 'same'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

function change(a: Side, b: Side): string | null {
  if (!a) return 'only in B';
  if (!b) return 'only in A';
  if (a.drifted !== b.drifted) return b.drifted ? 'drift appeared' : 'drift gone';
  if (a.method !== b.method) return 'method changed';
  return null;
}

function SideCells(props: { s: Side; method: boolean; first?: boolean }) {
  const s = props.s;
  const cls = props.first ? 'side-a' : 'side-b';
  if (!s)
    return (
      <td colSpan={3} className={`${cls} muted`}>
        not in this report
      </td>
    );
  return (
    <>
      <td className={props.method ? `${cls} mono tone-change` : `${cls} mono`}>{s.method}</td>
      <td className="num">{formatJsonNumber(s.statistic as number | string | null)}</td>
      <td>
        {s.drifted ? (
          <span className="pill pill-drift">Drifted</span>
        ) : (
          <span className="pill pill-ok">No drift</span>
        )}
      </td>
    </>
  );
}

function ReportHead(props: { tag: 'A' | 'B'; r: DriftReportSummary }) {
  const r = props.r;
  return (
    <div className="compare-head" data-testid={`compare-head-${props.tag.toLowerCase()}`}>
      <div className="compare-tag">{props.tag}</div>
      <div>
        <div>
          <InputName identity={r.reference} detail={false} /> <span className="muted">→</span>{' '}
          <InputName identity={r.current} detail={false} />
        </div>
        <div className="muted small">
          {formatDate(r.createdAt)}
          {r.preset ? ` · preset “${r.preset}”` : ''} · {formatCount(r.drifted)} of {formatCount(r.tested)}{' '}
          drifted ({formatShare(r.share)}) ·{' '}
          <span className={r.datasetDrift ? 'tone-remove strong' : 'tone-add strong'}>
            {r.datasetDrift ? 'dataset drift' : 'no dataset drift'}
          </span>
        </div>
      </div>
    </div>
  );
}
