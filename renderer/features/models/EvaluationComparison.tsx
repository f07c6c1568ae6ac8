/**
 * Versions of one model evaluated on the same data, side by side: their metrics in columns (the
 * best of each row marked) and, for binary classifiers, their ROC curves overlaid.
 */
import { useMemo, useState } from 'react';
import type { EvaluationRecord } from '../../../shared/registry.ts';
import { AXIS, Plot } from '../../components/Plot.tsx';
import { formatJsonNumber } from '../../format.ts';
import { SERIES_COLORS } from '../runs/MetricChart.tsx';

/** Metrics where lower is better; every other one is better higher. */
const LOWER_IS_BETTER = new Set(['log_loss', 'rmse', 'mae']);

const dataKey = (e: EvaluationRecord) => `${e.dataset}@${e.datasetVersion}:${e.path} · label ${e.label}`;

export function EvaluationComparison(props: { evaluations: EvaluationRecord[] }) {
  const groups = useMemo(() => {
    const byData = new Map<string, Map<number, EvaluationRecord>>();
    // Newest first: the first evaluation of a version on some data is its latest there.
    for (const e of props.evaluations) {
      const versions = byData.get(dataKey(e)) ?? new Map<number, EvaluationRecord>();
      if (!versions.has(e.version)) versions.set(e.version, e);
      byData.set(dataKey(e), versions);
    }
    return [...byData.entries()].map(([key, versions]) => ({
      key,
      evaluations: [...versions.values()].sort((a, b) => a.version - b.version),
    }));
  }, [props.evaluations]);
  const [chosen, setChosen] = useState<string | null>(null);
  const group =
    groups.find((g) => g.key === chosen) ?? groups.find((g) => g.evaluations.length > 1) ?? groups[0];

  return (
    <div className="card" data-testid="evaluation-comparison">
      <div className="card-header">
        <h3>Evaluations side by side</h3>
        {groups.length > 1 && (
          <select
            className="input"
            aria-label="Evaluation data"
            value={group?.key ?? ''}
            onChange={(e) => setChosen(e.target.value)}
          >
            {groups.map((g) => (
              <option key={g.key} value={g.key}>
                {g.key} ({g.evaluations.length} version{g.evaluations.length === 1 ? '' : 's'})
              </option>
            ))}
          </select>
        )}
      </div>
      {!group ? (
        <p className="muted">
          No evaluations yet. Open a version and evaluate it on a dataset; versions evaluated on the same data
          appear here side by side.
        </p>
      ) : (
        <ComparisonOf evaluations={group.evaluations} data={group.key} />
      )}
    </div>
  );
}

function ComparisonOf(props: { evaluations: EvaluationRecord[]; data: string }) {
  const evs = props.evaluations;
  const keys = [...new Set(evs.flatMap((e) => Object.keys(e.metrics)))].sort();
  const rocs = evs.flatMap((e, i) => {
    const d = e.details as {
      task?: string;
      roc?: { fpr: (number | string)[]; tpr: (number | string)[] }[];
    } | null;
    const roc = d?.task === 'classification' && d.roc?.length === 1 ? d.roc[0] : undefined;
    return roc
      ? [
          {
            type: 'scatter' as const,
            mode: 'lines' as const,
            name: `v${e.version}`,
            x: roc.fpr.map((v) => (typeof v === 'number' ? v : null)),
            y: roc.tpr.map((v) => (typeof v === 'number' ? v : null)),
            line: { color: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.8 },
          },
        ]
      : [];
  });
  return (
    <>
      <p className="muted small">On {props.data}</p>
      <table className="grid grid-compact metric-compare" data-testid="metric-compare">
        <thead>
          <tr>
            <th>Metric</th>
            {evs.map((e) => (
              <th key={e.version} className="num">
                v{e.version}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const values = evs.map((e) => e.metrics[k]);
            const finite = values.filter((v): v is number => typeof v === 'number');
            const best =
              k === 'example_count' || finite.length < 2
                ? undefined
                : LOWER_IS_BETTER.has(k)
                  ? Math.min(...finite)
                  : Math.max(...finite);
            return (
              <tr key={k}>
                <td className="mono">{k}</td>
                {values.map((v, i) => (
                  <td key={evs[i]!.version} className={v === best ? 'num best' : 'num'}>
                    {v === undefined ? '—' : formatJsonNumber(v)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {rocs.length > 1 && (
        <div className="eval-chart">
          <h4>ROC curves</h4>
          <Plot
            label="ROC curves of the versions"
            data={rocs}
            layout={{
              xaxis: { ...AXIS, title: { text: 'false positive rate' }, range: [0, 1] },
              yaxis: { ...AXIS, title: { text: 'true positive rate' }, range: [0, 1.02] },
              showlegend: true,
            }}
            height={240}
          />
        </div>
      )}
    </>
  );
}
